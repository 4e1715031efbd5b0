import { z } from "zod";
import { campaignSchema, cycleRowStatus, type Campaign, type CycleRowStatus, type CycleStatus } from "../core/domain.js";
import { StoreError } from "../core/errors.js";
import type { Db } from "./db.js";

/** Cycles (table cycles) and the campaigns each cycle's plan made (table cycle_campaigns). */

/** The column's value set; see core/domain.ts (the graph status and the column meet in cycleRowStatus only). */
export type { CycleRowStatus, CycleStatus };

export async function createCycle(db: Db, c: { cycleId: string; requestedBy: string; asOf: Date }): Promise<void> {
  await db.pool.query(
    `INSERT INTO cycles (cycle_id, status, requested_by, as_of) VALUES ($1, $4, $2, $3) ON CONFLICT (cycle_id) DO NOTHING`,
    [c.cycleId, c.requestedBy, c.asOf, cycleRowStatus("running")],
  );
}

/** Records a cycle's graph status (as the column's value, through cycleRowStatus) and merges `summary` into its summary. */
export async function setCycleStatus(db: Db, cycleId: string, status: CycleStatus, patch: { summary?: unknown } = {}): Promise<void> {
  await db.pool.query(
    `UPDATE cycles SET status = $2, updated_at = now(),
       summary = coalesce(summary, '{}'::jsonb) || coalesce($3::jsonb, '{}'::jsonb)
     WHERE cycle_id = $1`,
    [cycleId, cycleRowStatus(status), patch.summary === undefined ? null : JSON.stringify(patch.summary)],
  );
}

export interface CycleRow {
  cycleId: string;
  status: CycleRowStatus;
  requestedBy: string;
  asOf: Date;
  createdAt: Date;
  updatedAt: Date;
  summary: Record<string, unknown> | null;
}

export async function listCycles(db: Db, limit = 20): Promise<CycleRow[]> {
  const { rows } = await db.pool.query(
    "SELECT cycle_id, status, requested_by, as_of, created_at, updated_at, summary FROM cycles ORDER BY created_at DESC LIMIT $1",
    [limit],
  );
  return rows.map((r) => ({
    cycleId: r.cycle_id,
    status: r.status,
    requestedBy: r.requested_by,
    asOf: r.as_of,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    summary: r.summary,
  }));
}

/** The time a cycle runs as of; undefined for an unknown cycle. */
/** The cycle's `cycles.status` value; undefined for an unknown cycle. */
export async function cycleRowStatusOf(db: Db, cycleId: string): Promise<CycleRowStatus | undefined> {
  const { rows } = await db.pool.query<{ status: CycleRowStatus }>("SELECT status FROM cycles WHERE cycle_id = $1", [cycleId]);
  return rows[0]?.status;
}

export async function cycleAsOf(db: Db, cycleId: string): Promise<Date | undefined> {
  const { rows } = await db.pool.query<{ as_of: Date }>("SELECT as_of FROM cycles WHERE cycle_id = $1", [cycleId]);
  return rows[0]?.as_of;
}

/**
 * Saves the campaigns of a cycle's plan, replacing any saved before (a re-run of compose writes its
 * own), in one transaction.
 */
export async function saveCampaigns(db: Db, cycleId: string, campaigns: readonly Campaign[]): Promise<void> {
  await db.transaction(async (c) => {
    await c.query("DELETE FROM cycle_campaigns WHERE cycle_id = $1", [cycleId]);
    if (campaigns.length === 0) return;
    await c.query(
      `INSERT INTO cycle_campaigns (cycle_id, campaign_id, position, segment_id, segment_name, strategy, channel, offer_depth, send_hour_local,
         source, variants, category, send_from, send_until)
       SELECT $1, r.campaign_id, r.position, r.segment_id, r.segment_name, r.strategy, r.channel, r.offer_depth, r.send_hour_local,
         r.source, r.variants, r.category, r.send_from, r.send_until
       FROM jsonb_to_recordset($2::jsonb) AS r(campaign_id text, position int, segment_id text, segment_name text, strategy text, channel text,
         offer_depth numeric, send_hour_local int, source text, variants jsonb, category text, send_from timestamptz, send_until timestamptz)`,
      [
        cycleId,
        JSON.stringify(
          campaigns.map((k, position) => ({
            campaign_id: k.campaignId,
            position,
            segment_id: k.segmentId,
            segment_name: k.segmentName,
            strategy: k.strategy,
            channel: k.channel,
            offer_depth: k.offerDepth,
            send_hour_local: k.sendHourLocal,
            source: k.source,
            variants: k.variants,
            category: k.category ?? null,
            send_from: k.sendFrom ?? null,
            send_until: k.sendUntil ?? null,
          })),
        ),
      ],
    );
  });
}

const campaignRow = z.object({
  campaign_id: z.string(),
  segment_id: z.string(),
  segment_name: z.string(),
  strategy: z.string(),
  channel: z.string(),
  offer_depth: z.number(),
  send_hour_local: z.number(),
  source: z.string(),
  variants: z.unknown(),
  category: z.string().nullable(),
  send_from: z.date().nullable(),
  send_until: z.date().nullable(),
});

/** The campaigns of a cycle's plan, in the plan's order (none before compose has run). */
export async function campaignsOf(db: Db, cycleId: string): Promise<Campaign[]> {
  const { rows } = await db.pool.query(
    `SELECT campaign_id, segment_id, segment_name, strategy, channel, offer_depth, send_hour_local, source, variants,
       category, send_from, send_until
     FROM cycle_campaigns WHERE cycle_id = $1 ORDER BY position`,
    [cycleId],
  );
  return rows.map((raw) => {
    const r = campaignRow.parse(raw);
    const parsed = campaignSchema.safeParse({
      campaignId: r.campaign_id,
      segmentId: r.segment_id,
      segmentName: r.segment_name,
      strategy: r.strategy,
      channel: r.channel,
      offerDepth: r.offer_depth,
      sendHourLocal: r.send_hour_local,
      source: r.source,
      variants: r.variants,
      ...(r.category !== null ? { category: r.category } : {}),
      ...(r.send_from !== null ? { sendFrom: r.send_from.toISOString() } : {}),
      ...(r.send_until !== null ? { sendUntil: r.send_until.toISOString() } : {}),
    });
    if (!parsed.success) throw new StoreError(`campaign ${r.campaign_id} of cycle ${cycleId} is malformed: ${parsed.error.message}`);
    return parsed.data;
  });
}
