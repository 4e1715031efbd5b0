import type { Channel } from "../core/domain.js";
import type { Db } from "./db.js";

/** Per-segment fatigue settings a cycle learned (table learned_fatigue). */
export interface LearnedFatigueRow {
  segmentId: string;
  cooldownThreshold: number;
  rollingCaps: Record<Channel, number | null>;
  evidence: unknown;
}

/** Sends, unsubscribes and conversions of a cycle's sent messages, per segment and channel. */
export interface FatigueEvidenceRow {
  segmentId: string;
  channel: Channel;
  sends: number;
  unsubscribes: number;
  responses: number;
}

export async function fatigueEvidence(db: Db, cycleId: string): Promise<FatigueEvidenceRow[]> {
  const { rows } = await db.pool.query<{ segment_id: string; channel: Channel; sends: number; unsubscribes: number; responses: number }>(
    `SELECT t.segment_id, m.channel, count(*)::int AS sends,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM message_responses r WHERE r.message_id = m.message_id AND r.type = 'unsubscribe'))::int AS unsubscribes,
            count(*) FILTER (WHERE EXISTS (SELECT 1 FROM message_responses r WHERE r.message_id = m.message_id AND r.type = 'conversion'))::int AS responses
     FROM messages m
     JOIN cycle_targets t ON t.cycle_id = m.cycle_id AND t.customer_id = m.customer_id AND t.campaign_id = m.campaign_id
     WHERE m.cycle_id = $1 AND m.status = 'sent'
     GROUP BY t.segment_id, m.channel
     ORDER BY t.segment_id, m.channel`,
    [cycleId],
  );
  return rows.map((r) => ({
    segmentId: r.segment_id,
    channel: r.channel,
    sends: r.sends,
    unsubscribes: r.unsubscribes,
    responses: r.responses,
  }));
}

/** Saves what a cycle learned; a cycle learns once per segment (a re-run keeps the first rows). Returns rows inserted. */
export async function saveLearnedFatigue(db: Db, cycleId: string, rows: readonly LearnedFatigueRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const result = await db.pool.query(
    `INSERT INTO learned_fatigue (cycle_id, segment_id, cooldown_threshold, rolling_caps, evidence)
     SELECT $1, u.segment_id, u.cooldown_threshold, u.rolling_caps, u.evidence
     FROM jsonb_to_recordset($2::jsonb) AS u(segment_id text, cooldown_threshold float8, rolling_caps jsonb, evidence jsonb)
     ON CONFLICT (cycle_id, segment_id) DO NOTHING`,
    [
      cycleId,
      JSON.stringify(
        rows.map((r) => ({
          segment_id: r.segmentId,
          cooldown_threshold: r.cooldownThreshold,
          rolling_caps: r.rollingCaps,
          evidence: r.evidence,
        })),
      ),
    ],
  );
  return result.rowCount ?? 0;
}

/** The newest learned settings per segment: what the next cycle's eligibility applies. */
export async function latestLearnedFatigue(
  db: Db,
): Promise<Map<string, { cycleId: string; cooldownThreshold: number; rollingCaps: Record<Channel, number | null> }>> {
  const { rows } = await db.pool.query<{
    segment_id: string;
    cycle_id: string;
    cooldown_threshold: number;
    rolling_caps: Record<Channel, number | null>;
  }>(
    `SELECT DISTINCT ON (segment_id) segment_id, cycle_id, cooldown_threshold, rolling_caps
     FROM learned_fatigue ORDER BY segment_id, learned_at DESC, cycle_id DESC`,
  );
  return new Map(
    rows.map((r) => [r.segment_id, { cycleId: r.cycle_id, cooldownThreshold: Number(r.cooldown_threshold), rollingCaps: r.rolling_caps }]),
  );
}
