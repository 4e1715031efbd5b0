import type pg from "pg";
import type { Queryable } from "./db.js";

/** SQL for the versioned guardrail policy (table guardrail_policy_versions, see 007-guardrail-policy.sql). */

export interface PolicyVersionRow {
  version: number;
  /** The policy document as stored; guardrails/guardrail-policy.ts parses it. */
  policy: unknown;
  digest: string;
  changedBy: string;
  role: string;
  reason: string;
  changedAt: Date;
}

interface DbRow {
  version: number;
  policy: unknown;
  digest: string;
  changed_by: string;
  role: string;
  reason: string;
  changed_at: Date;
}

const COLUMNS = "version, policy, digest, changed_by, role, reason, changed_at";
const toRow = (r: DbRow): PolicyVersionRow => ({
  version: Number(r.version),
  policy: r.policy,
  digest: r.digest,
  changedBy: r.changed_by,
  role: r.role,
  reason: r.reason,
  changedAt: r.changed_at,
});

/** The version in force (the latest), or null when none was ever set. */
export async function readLatestPolicyVersion(q: Queryable): Promise<PolicyVersionRow | null> {
  const { rows } = await q.query<DbRow>(`SELECT ${COLUMNS} FROM guardrail_policy_versions ORDER BY version DESC LIMIT 1`);
  return rows[0] ? toRow(rows[0]) : null;
}

/** Every version, newest first. */
export async function listPolicyVersions(q: Queryable, limit = 100): Promise<PolicyVersionRow[]> {
  const { rows } = await q.query<DbRow>(`SELECT ${COLUMNS} FROM guardrail_policy_versions ORDER BY version DESC LIMIT $1`, [limit]);
  return rows.map(toRow);
}

/**
 * Writes the next version inside the caller's transaction, under a per-schema lock so two admins
 * saving at once get consecutive versions instead of one failing on the key.
 */
export async function insertPolicyVersion(client: pg.PoolClient, row: Omit<PolicyVersionRow, "version">): Promise<PolicyVersionRow> {
  await client.query("SELECT pg_advisory_xact_lock(hashtext('pulse-policy:' || current_schema()))");
  const { rows } = await client.query<DbRow>(
    `INSERT INTO guardrail_policy_versions (${COLUMNS})
     SELECT coalesce(max(version), 0) + 1, $1::jsonb, $2, $3, $4, $5, $6 FROM guardrail_policy_versions
     RETURNING ${COLUMNS}`,
    [JSON.stringify(row.policy), row.digest, row.changedBy, row.role, row.reason, row.changedAt],
  );
  return toRow(rows[0]!);
}
