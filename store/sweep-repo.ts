import type { Db } from "./db.js";

/** What the sweeper reads: sends and activation work that should have happened and did not. */

export interface OverdueMessage {
  messageId: string;
  cycleId: string;
  campaignId: string;
  channel: string;
}

/**
 * Messages of activated cycles still `queued` past their planned send time plus `graceMs` (by the
 * caller's clock `now`), and created more than `graceMs` ago by the database's clock, so a message
 * whose send job is only just under way is left to that job. Oldest first.
 */
export async function overdueQueuedMessages(db: Db, now: Date, graceMs: number, limit: number): Promise<OverdueMessage[]> {
  const { rows } = await db.pool.query<{ message_id: string; cycle_id: string; campaign_id: string; channel: string }>(
    `SELECT m.message_id, m.cycle_id, m.campaign_id, m.channel
     FROM messages m JOIN cycles c ON c.cycle_id = m.cycle_id AND c.status = 'activated'
     WHERE m.status = 'queued'
       AND coalesce((m.content ->> 'plannedAt')::timestamptz, m.created_at) + make_interval(secs => $2::double precision / 1000) <= $1
       AND m.created_at <= now() - make_interval(secs => $2::double precision / 1000)
     ORDER BY m.created_at, m.message_id
     LIMIT $3`,
    [now, graceMs, limit],
  );
  return rows.map((r) => ({ messageId: r.message_id, cycleId: r.cycle_id, campaignId: r.campaign_id, channel: r.channel }));
}

export interface MissingActivation {
  cycleId: string;
  campaignId: string;
  shard: number;
  shardCount: number;
  /** Treated customers of this shard without a message row. */
  missing: number;
}

/**
 * Treated contacts of cycles activated more than `graceMs` ago (database clock) that have no
 * message: their activation shard never ran to the end (its job failed or vanished). Grouped into
 * shards of about `shardSize` treated customers per campaign, the same hash split activation uses,
 * so only the shards with missing customers are run again. Customers suppressed because their copy
 * failed to render have no message by design and are not counted.
 */
export async function missingActivations(db: Db, graceMs: number, shardSize: number): Promise<MissingActivation[]> {
  const { rows } = await db.pool.query<{ cycle_id: string; campaign_id: string; shard: number; shard_count: number; missing: number }>(
    `WITH treated AS (
       SELECT t.cycle_id, t.campaign_id, t.customer_id,
              count(*) OVER (PARTITION BY t.cycle_id, t.campaign_id) AS n
       FROM cycles c
       JOIN cycle_targets t ON t.cycle_id = c.cycle_id AND t.decision = 'contact'
       JOIN holdout_assignments a ON a.experiment_id = c.cycle_id || '.exp' AND a.customer_id = t.customer_id AND a.arm = 'treatment'
       WHERE c.status = 'activated' AND c.updated_at <= now() - make_interval(secs => $1::double precision / 1000)
     ), split AS (
       SELECT cycle_id, campaign_id, customer_id, greatest(1, ceil(n::numeric / $2))::int AS shard_count FROM treated
     )
     SELECT s.cycle_id, s.campaign_id, s.shard_count,
            mod(hashtext(s.customer_id)::bigint + 2147483648, s.shard_count)::int AS shard, count(*)::int AS missing
     FROM split s
     WHERE NOT EXISTS (SELECT 1 FROM messages m WHERE m.cycle_id = s.cycle_id AND m.campaign_id = s.campaign_id AND m.customer_id = s.customer_id)
       -- A customer whose copy failed to render was suppressed with a reason: not missing.
       AND NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.cycle_id = s.cycle_id AND l.customer_id = s.customer_id
                       AND l.kind = 'suppression' AND l.entry ->> 'reasonCode' = 'render_failed')
     GROUP BY 1, 2, 3, 4
     ORDER BY 1, 2, 4`,
    [graceMs, shardSize],
  );
  return rows.map((r) => ({
    cycleId: r.cycle_id,
    campaignId: r.campaign_id,
    shard: r.shard,
    shardCount: r.shard_count,
    missing: r.missing,
  }));
}
