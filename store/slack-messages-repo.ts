import type { Db } from "./db.js";

/** SQL for the Slack messages that show plans waiting for approval (table slack_plan_messages, 010). */

export interface SlackPlanMessage {
  approvalId: string;
  cycleId: string;
  channel: string;
  ts: string;
  /** What the message shows now: waiting, approved, sent, rejected, expired, measured; posting while it is being posted. */
  shown: string;
  liftTs: string | null;
}

interface DbRow {
  approval_id: string;
  cycle_id: string;
  channel: string;
  ts: string;
  shown: string;
  lift_ts: string | null;
}

const COLUMNS = "approval_id, cycle_id, channel, ts, shown, lift_ts";
const toRow = (r: DbRow): SlackPlanMessage => ({
  approvalId: r.approval_id,
  cycleId: r.cycle_id,
  channel: r.channel,
  ts: r.ts,
  shown: r.shown,
  liftTs: r.lift_ts,
});

/**
 * Reserves posting a plan's message, so two processes (a request and the sync) never post it twice:
 * true when this caller is to post it; false when it is posted or being posted already.
 */
export async function claimSlackPlanPost(db: Db, m: { approvalId: string; cycleId: string; channel: string }): Promise<boolean> {
  const { rowCount } = await db.pool.query(
    `INSERT INTO slack_plan_messages (approval_id, cycle_id, channel, ts, shown) VALUES ($1, $2, $3, '', 'posting') ON CONFLICT (approval_id) DO NOTHING`,
    [m.approvalId, m.cycleId, m.channel],
  );
  return rowCount === 1;
}

/** Records where a reserved plan message was posted and what it shows. */
export async function savePostedSlackPlanMessage(
  db: Db,
  m: { approvalId: string; channel: string; ts: string; shown: string; liftTs?: string },
): Promise<SlackPlanMessage> {
  await db.pool.query(
    "UPDATE slack_plan_messages SET channel = $2, ts = $3, shown = $4, lift_ts = $5, updated_at = now() WHERE approval_id = $1",
    [m.approvalId, m.channel, m.ts, m.shown, m.liftTs ?? null],
  );
  return (await getSlackPlanMessage(db, m.approvalId))!;
}

/** Gives up a reservation whose post failed, so a later attempt can post it. */
export async function releaseSlackPlanPost(db: Db, approvalId: string): Promise<void> {
  await db.pool.query("DELETE FROM slack_plan_messages WHERE approval_id = $1 AND shown = 'posting'", [approvalId]);
}

export async function getSlackPlanMessage(db: Db, approvalId: string): Promise<SlackPlanMessage | undefined> {
  const { rows } = await db.pool.query<DbRow>(`SELECT ${COLUMNS} FROM slack_plan_messages WHERE approval_id = $1`, [approvalId]);
  return rows[0] ? toRow(rows[0]) : undefined;
}

/** A cycle's posted plan messages (not those being posted). */
export async function slackPlanMessagesOfCycle(db: Db, cycleId: string): Promise<SlackPlanMessage[]> {
  const { rows } = await db.pool.query<DbRow>(
    `SELECT ${COLUMNS} FROM slack_plan_messages WHERE cycle_id = $1 AND shown <> 'posting' ORDER BY posted_at`,
    [cycleId],
  );
  return rows.map(toRow);
}

/** Messages that may still change: the plan is not finished with (no lift readout yet, not turned down). */
export async function openSlackPlanMessages(db: Db, limit = 200): Promise<SlackPlanMessage[]> {
  const { rows } = await db.pool.query<DbRow>(
    `SELECT ${COLUMNS} FROM slack_plan_messages WHERE lift_ts IS NULL AND shown NOT IN ('posting', 'rejected', 'expired') ORDER BY posted_at LIMIT $1`,
    [limit],
  );
  return rows.map(toRow);
}

/**
 * Moves a message from what it showed to what it shows now; false when another process did it
 * first (the caller then leaves Slack alone).
 */
export async function claimSlackPlanMessageChange(db: Db, approvalId: string, from: string, to: string): Promise<boolean> {
  const { rowCount } = await db.pool.query(
    "UPDATE slack_plan_messages SET shown = $3, updated_at = now() WHERE approval_id = $1 AND shown = $2",
    [approvalId, from, to],
  );
  return rowCount === 1;
}

/** Reserves posting the lift readout; false when it is posted or being posted already. */
export async function claimSlackLiftPost(db: Db, approvalId: string): Promise<boolean> {
  const { rowCount } = await db.pool.query(
    "UPDATE slack_plan_messages SET lift_ts = 'posting', updated_at = now() WHERE approval_id = $1 AND lift_ts IS NULL",
    [approvalId],
  );
  return rowCount === 1;
}

export async function setSlackLiftTs(db: Db, approvalId: string, liftTs: string | null): Promise<void> {
  await db.pool.query("UPDATE slack_plan_messages SET lift_ts = $2, updated_at = now() WHERE approval_id = $1", [approvalId, liftTs]);
}

/**
 * Approvals still open (undecided, not expired at `now`) whose plan has no Slack message yet: cycles
 * started by the scheduler or the CLI, or a post that failed.
 */
export async function unpostedOpenApprovals(db: Db, now: Date, limit = 50): Promise<{ approvalId: string; cycleId: string }[]> {
  const { rows } = await db.pool.query<{ approval_id: string; cycle_id: string }>(
    `SELECT a.approval_id, a.cycle_id FROM approvals a
       LEFT JOIN slack_plan_messages m ON m.approval_id = a.approval_id
      WHERE a.decision IS NULL AND a.expires_at > $1 AND m.approval_id IS NULL
      ORDER BY a.created_at LIMIT $2`,
    [now.toISOString(), limit],
  );
  return rows.map((r) => ({ approvalId: r.approval_id, cycleId: r.cycle_id }));
}
