import { CUSTOMER_SET_KIND } from "./audit-sets.js";
import type { Db } from "./db.js";

/**
 * Reads for checking a cycle's exactly-once guarantees (the chaos suite, npm run chaos): message
 * progress, the experiment's arms, message statuses and send entries in the audit log.
 */
export async function messageProgress(db: Db, cycleId: string): Promise<{ created: number; done: number }> {
  const { rows } = await db.pool.query<{ created: number; done: number }>(
    "SELECT count(*)::int AS created, count(*) FILTER (WHERE status <> 'queued')::int AS done FROM messages WHERE cycle_id = $1",
    [cycleId],
  );
  return rows[0]!;
}

export async function experimentArms(db: Db, experimentId: string): Promise<{ customer_id: string; arm: string }[]> {
  const { rows } = await db.pool.query<{ customer_id: string; arm: string }>(
    "SELECT customer_id, arm FROM holdout_assignments WHERE experiment_id = $1",
    [experimentId],
  );
  return rows;
}

export async function messageStatuses(db: Db, cycleId: string): Promise<{ customer_id: string; status: string }[]> {
  const { rows } = await db.pool.query<{ customer_id: string; status: string }>(
    "SELECT customer_id, status FROM messages WHERE cycle_id = $1",
    [cycleId],
  );
  return rows;
}

/** A cycle's send entries, those in customer sets (audit-sets.ts) counted one each. */
export async function sendEntryCount(db: Db, cycleId: string): Promise<number> {
  const { rows } = await db.pool.query<{ n: number }>(
    `SELECT coalesce(sum(CASE WHEN kind = 'send' THEN 1 ELSE jsonb_array_length(entry -> 'customers') END), 0)::int AS n
     FROM audit_log WHERE cycle_id = $1 AND (kind = 'send' OR (kind = $2 AND entry ->> 'of' = 'send'))`,
    [cycleId, CUSTOMER_SET_KIND],
  );
  return rows[0]!.n;
}
