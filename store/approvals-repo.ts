import type pg from "pg";
import type { Db, Queryable } from "./db.js";

/** SQL for approvals (table approvals, see 001-init.sql). Rules live in guardrails/approval-decisions.ts. */

export type ApprovalDecision = "approved" | "rejected" | "expired";

export interface ApprovalRow {
  approvalId: string;
  cycleId: string;
  requestedBy: string;
  risk: unknown;
  decision: ApprovalDecision | null;
  decidedBy: string | null;
  reason: string | null;
  createdAt: Date;
  expiresAt: Date;
  decidedAt: Date | null;
}

interface DbApprovalRow {
  approval_id: string;
  cycle_id: string;
  requested_by: string;
  risk: unknown;
  decision: ApprovalDecision | null;
  decided_by: string | null;
  reason: string | null;
  created_at: Date;
  expires_at: Date;
  decided_at: Date | null;
}

const COLUMNS = "approval_id, cycle_id, requested_by, risk, decision, decided_by, reason, created_at, expires_at, decided_at";

function toRow(r: DbApprovalRow): ApprovalRow {
  return {
    approvalId: r.approval_id,
    cycleId: r.cycle_id,
    requestedBy: r.requested_by,
    risk: r.risk,
    decision: r.decision,
    decidedBy: r.decided_by,
    reason: r.reason,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    decidedAt: r.decided_at,
  };
}

export async function insertApproval(client: Queryable, row: ApprovalRow): Promise<void> {
  await client.query(`INSERT INTO approvals (${COLUMNS}) VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9, $10)`, [
    row.approvalId,
    row.cycleId,
    row.requestedBy,
    JSON.stringify(row.risk),
    row.decision,
    row.decidedBy,
    row.reason,
    row.createdAt.toISOString(),
    row.expiresAt.toISOString(),
    row.decidedAt?.toISOString() ?? null,
  ]);
}

export async function getApproval(client: Queryable, approvalId: string): Promise<ApprovalRow | undefined> {
  const { rows } = await client.query<DbApprovalRow>(`SELECT ${COLUMNS} FROM approvals WHERE approval_id = $1`, [approvalId]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** The approval row, locked until the transaction ends, so two deciders cannot both win. */
export async function lockApproval(client: pg.PoolClient, approvalId: string): Promise<ApprovalRow | undefined> {
  const { rows } = await client.query<DbApprovalRow>(`SELECT ${COLUMNS} FROM approvals WHERE approval_id = $1 FOR UPDATE`, [approvalId]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** The cycle's open approval if there is one, else its latest; locked until the transaction ends. */
export async function lockCycleApproval(client: pg.PoolClient, cycleId: string): Promise<ApprovalRow | undefined> {
  const { rows } = await client.query<DbApprovalRow>(
    `SELECT ${COLUMNS} FROM approvals WHERE cycle_id = $1
     ORDER BY (decision IS NULL) DESC, created_at DESC, approval_id DESC LIMIT 1 FOR UPDATE`,
    [cycleId],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** Records a decision on an undecided approval; false when it was decided already. */
export async function recordDecision(
  client: Queryable,
  approvalId: string,
  d: { decision: ApprovalDecision; decidedBy: string | null; reason: string | null; decidedAt: Date },
): Promise<boolean> {
  const res = await client.query(
    `UPDATE approvals SET decision = $2, decided_by = $3, reason = $4, decided_at = $5
     WHERE approval_id = $1 AND decision IS NULL`,
    [approvalId, d.decision, d.decidedBy, d.reason, d.decidedAt.toISOString()],
  );
  return (res.rowCount ?? 0) === 1;
}

/** Marks every undecided approval whose time ran out as expired; returns them. */
export async function expireOverdueApprovals(client: Queryable, now: Date): Promise<ApprovalRow[]> {
  const { rows } = await client.query<DbApprovalRow>(
    `UPDATE approvals SET decision = 'expired', decided_at = $1, reason = 'expired before a decision'
     WHERE decision IS NULL AND expires_at <= $1 RETURNING ${COLUMNS}`,
    [now.toISOString()],
  );
  return rows.map(toRow);
}

/** The cycle's latest approval request (decided or not); undefined if it has none. */
export async function latestCycleApproval(db: Db, cycleId: string): Promise<ApprovalRow | undefined> {
  const { rows } = await db.pool.query<DbApprovalRow>(
    `SELECT ${COLUMNS} FROM approvals WHERE cycle_id = $1 ORDER BY created_at DESC LIMIT 1`,
    [cycleId],
  );
  return rows[0] ? toRow(rows[0]) : undefined;
}

export async function listCycleApprovals(db: Db, cycleId: string): Promise<ApprovalRow[]> {
  const { rows } = await db.pool.query<DbApprovalRow>(
    `SELECT ${COLUMNS} FROM approvals WHERE cycle_id = $1 ORDER BY created_at, approval_id`,
    [cycleId],
  );
  return rows.map(toRow);
}

/**
 * Cycles still waiting at the human gate whose request has an outcome the graph has not acted on:
 * decided (by a process that died before the graph moved on), expired, or past its expiry.
 */
export async function cyclesWithSettledApprovals(db: Db, now: Date): Promise<string[]> {
  const { rows } = await db.pool.query<{ cycle_id: string }>(
    `SELECT DISTINCT c.cycle_id FROM cycles c JOIN approvals a ON a.cycle_id = c.cycle_id
     WHERE c.status = 'awaiting_approval' AND (a.decision IS NOT NULL OR a.expires_at <= $1)
     ORDER BY c.cycle_id`,
    [now],
  );
  return rows.map((r) => r.cycle_id);
}

/** Of the content version keys given, those that some approved plan used (approvals.risk->'contentVersions'). */
export async function listApprovedContentVersions(db: Db, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const { rows } = await db.pool.query<{ v: string }>(
    `SELECT DISTINCT v FROM approvals, jsonb_array_elements_text(CASE WHEN jsonb_typeof(risk -> 'contentVersions') = 'array' THEN risk -> 'contentVersions' ELSE '[]'::jsonb END) AS v
     WHERE decision = 'approved' AND v = ANY($1::text[])`,
    [keys],
  );
  return new Set(rows.map((r) => r.v));
}
