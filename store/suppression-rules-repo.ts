import type { Db, Queryable } from "./db.js";

/** SQL for pause rules (table suppression_rules, see 006-suppression-rules.sql). */

export interface SuppressionRule {
  ruleId: string;
  /** null: every channel. */
  channels: string[] | null;
  /** null: every segment. */
  segmentId: string | null;
  reason: string;
  createdBy: string;
  createdAt: Date;
  /** null: until lifted. */
  until: Date | null;
  liftedBy: string | null;
  liftedAt: Date | null;
}

interface DbRule {
  rule_id: string;
  channels: string[] | null;
  segment_id: string | null;
  reason: string;
  created_by: string;
  created_at: Date;
  until: Date | null;
  lifted_by: string | null;
  lifted_at: Date | null;
}

const COLUMNS = "rule_id, channels, segment_id, reason, created_by, created_at, until, lifted_by, lifted_at";

function toRule(r: DbRule): SuppressionRule {
  return {
    ruleId: r.rule_id,
    channels: r.channels,
    segmentId: r.segment_id,
    reason: r.reason,
    createdBy: r.created_by,
    createdAt: r.created_at,
    until: r.until,
    liftedBy: r.lifted_by,
    liftedAt: r.lifted_at,
  };
}

export async function insertSuppressionRule(db: Db | Queryable, rule: Omit<SuppressionRule, "liftedBy" | "liftedAt">): Promise<void> {
  const q = "pool" in db ? db.pool : db;
  await q.query(
    `INSERT INTO suppression_rules (rule_id, channels, segment_id, reason, created_by, created_at, until) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [rule.ruleId, rule.channels, rule.segmentId, rule.reason, rule.createdBy, rule.createdAt, rule.until],
  );
}

/** Rules in force at `at`: created by then, not expired, not lifted by then. */
export async function activeSuppressionRules(db: Db, at: Date): Promise<SuppressionRule[]> {
  const { rows } = await db.pool.query<DbRule>(
    `SELECT ${COLUMNS} FROM suppression_rules
      WHERE created_at <= $1 AND (until IS NULL OR until > $1) AND (lifted_at IS NULL OR lifted_at > $1)
      ORDER BY created_at, rule_id`,
    [at],
  );
  return rows.map(toRule);
}

/** Lifts the given rules (chosen by the caller among the active ones): records who and when; returns those lifted. */
export async function liftSuppressionRules(db: Db, ruleIds: readonly string[], by: string, at: Date): Promise<SuppressionRule[]> {
  if (ruleIds.length === 0) return [];
  const { rows } = await db.pool.query<DbRule>(
    `UPDATE suppression_rules SET lifted_by = $2, lifted_at = $3 WHERE rule_id = ANY($1) AND lifted_at IS NULL RETURNING ${COLUMNS}`,
    [ruleIds, by, at],
  );
  return rows.map(toRule);
}
