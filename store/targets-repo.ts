import type { Channel } from "../core/domain.js";
import { StoreError } from "../core/errors.js";
import type { Db } from "./db.js";
import { jsonFloat, skipReferenceChecks } from "./sql-values.js";

/** What each cycle's plan decided for every customer it considered (table cycle_targets). */

export interface TargetRow {
  customerId: string;
  segmentId: string;
  strategy: string;
  channel: Channel | null;
  offerDepth: number;
  campaignId: string | null;
  decision: "contact" | "skip";
  predictedUplift: number | null;
  expectedValue: number | null;
  reasons: { code: string; message: string }[];
  features?: ArrayLike<number>;
  /** The category the customer spent most on, for the copy. */
  topCategory?: string | null;
  /** The product recommended for a cross-sell (tools/recommend.ts), for the copy's {{product}}. */
  recommendedSku?: string | null;
  /** The send time the plan chose for this customer (their own local hour, outside quiet hours). */
  plannedAt?: Date | null;
  /** The bandit's arm drawn for the customer and the probability it had of being drawn. */
  armId?: string | null;
  propensity?: number | null;
  /** The documented prior's uplift for the customer under this option, before learned evidence. */
  priorUplift?: number | null;
}

/**
 * Saves the plan's targets of a cycle, all or none, in one transaction. A cycle's targets are written
 * once: if the plan runs again (a resumed cycle) and finds them saved, the first ones stand.
 */
export async function saveTargets(db: Db, cycleId: string, targets: readonly TargetRow[]): Promise<void> {
  if (targets.length === 0) return;
  await db.transaction(async (c) => {
    // Serialises two plans of one cycle racing to save (PostgreSQL; PGlite runs one transaction at a time).
    await c.query("SELECT pg_advisory_xact_lock(hashtext('pulse-targets:' || $1::text))", [cycleId]);
    const saved = await c.query("SELECT 1 FROM cycle_targets WHERE cycle_id = $1 LIMIT 1", [cycleId]);
    if (saved.rowCount) return;
    // The targets reference their cycle, checked here once instead of per row.
    const cycle = await c.query("SELECT 1 FROM cycles WHERE cycle_id = $1 FOR KEY SHARE", [cycleId]);
    if (!cycle.rowCount) throw new StoreError(`cannot save targets: cycle ${cycleId} does not exist`);
    await skipReferenceChecks(db, c);
    for (let i = 0; i < targets.length; i += 5000) {
      const b = targets.slice(i, i + 5000);
      // One JSON document per batch (see insertAuditRows); features as bytea hex text.
      await c.query(
        `INSERT INTO cycle_targets (cycle_id, customer_id, segment_id, strategy, channel, offer_depth, campaign_id, decision, predicted_uplift, expected_value, reasons, features, top_category, recommended_sku, planned_at, arm_id, propensity, prior_uplift)
         SELECT $1, u.customer_id, u.segment_id, u.strategy, u.channel, u.offer_depth, u.campaign_id, u.decision, u.predicted_uplift, u.expected_value, u.reasons, u.features, u.top_category, u.recommended_sku, u.planned_at, u.arm_id, u.propensity, u.prior_uplift
         FROM jsonb_to_recordset($2::jsonb)
           AS u(customer_id text, segment_id text, strategy text, channel text, offer_depth numeric, campaign_id text, decision text, predicted_uplift float8, expected_value float8, reasons jsonb, features bytea, top_category text, recommended_sku text, planned_at timestamptz, arm_id text, propensity float8, prior_uplift float8)`,
        [
          cycleId,
          JSON.stringify(
            b.map((t) => ({
              customer_id: t.customerId,
              segment_id: t.segmentId,
              strategy: t.strategy,
              channel: t.channel,
              offer_depth: jsonFloat(t.offerDepth),
              campaign_id: t.campaignId,
              decision: t.decision,
              predicted_uplift: jsonFloat(t.predictedUplift),
              expected_value: jsonFloat(t.expectedValue),
              reasons: t.reasons,
              features: t.features ? `\\x${packFeatures(t.features).toString("hex")}` : null,
              top_category: t.topCategory ?? null,
              recommended_sku: t.recommendedSku ?? null,
              planned_at: t.plannedAt ? t.plannedAt.toISOString() : null,
              arm_id: t.armId ?? null,
              propensity: t.propensity === undefined || t.propensity === null ? null : jsonFloat(t.propensity),
              prior_uplift: t.priorUplift === undefined || t.priorUplift === null ? null : jsonFloat(t.priorUplift),
            })),
          ),
        ],
      );
    }
  });
}

/** A feature vector as stored in cycle_targets.features: float32, 4 bytes each, big-endian. */
export function packFeatures(values: ArrayLike<number>): Buffer {
  const buf = Buffer.allocUnsafe(values.length * 4);
  for (let i = 0; i < values.length; i++) buf.writeFloatBE(values[i]!, i * 4);
  return buf;
}

export function unpackFeatures(buf: Buffer): number[] {
  const out = new Array<number>(buf.length >> 2);
  for (let i = 0; i < out.length; i++) out[i] = buf.readFloatBE(i * 4);
  return out;
}

export async function targetSummary(db: Db, cycleId: string): Promise<{ decision: string; code: string; customers: number }[]> {
  const { rows } = await db.pool.query(
    `SELECT decision, coalesce(reasons->0->>'code', 'contact') AS code, count(*)::int AS customers FROM cycle_targets
     WHERE cycle_id = $1 GROUP BY 1, 2 ORDER BY 3 DESC`,
    [cycleId],
  );
  return rows;
}

/** Every target of a cycle with its decision and first reason code, by customer id. */
export async function targetDecisions(
  db: Db,
  cycleId: string,
): Promise<{ customerId: string; segmentId: string; decision: "contact" | "skip"; code: string | null }[]> {
  const { rows } = await db.pool.query<{ customer_id: string; segment_id: string; decision: "contact" | "skip"; code: string | null }>(
    "SELECT customer_id, segment_id, decision, reasons->0->>'code' AS code FROM cycle_targets WHERE cycle_id = $1 ORDER BY customer_id",
    [cycleId],
  );
  return rows.map((r) => ({ customerId: r.customer_id, segmentId: r.segment_id, decision: r.decision, code: r.code }));
}

/** Every target of a cycle with its decision, offer and the customer's protected attributes (for fairness). */
export async function targetsWithAttributes(
  db: Db,
  cycleId: string,
): Promise<{ decision: string; offerDepth: number; ageBand: string | null; region: string | null }[]> {
  const { rows } = await db.pool.query<{ decision: string; offer_depth: number; age_band: string | null; region: string | null }>(
    `SELECT t.decision, t.offer_depth, c.age_band, c.region FROM cycle_targets t JOIN customers c USING (customer_id) WHERE t.cycle_id = $1`,
    [cycleId],
  );
  return rows.map((r) => ({ decision: r.decision, offerDepth: r.offer_depth, ageBand: r.age_band, region: r.region }));
}

/** Treated contacts (in the experiment's treatment arm) per campaign. */
export async function treatedCountsByCampaign(db: Db, cycleId: string, experimentId: string): Promise<Map<string, number>> {
  const { rows } = await db.pool.query<{ campaign_id: string; n: number }>(
    `SELECT t.campaign_id, count(*)::int AS n FROM cycle_targets t JOIN holdout_assignments a ON a.experiment_id = $2 AND a.customer_id = t.customer_id AND a.arm = 'treatment'
     WHERE t.cycle_id = $1 AND t.decision = 'contact' GROUP BY t.campaign_id`,
    [cycleId, experimentId],
  );
  return new Map(rows.map((r) => [r.campaign_id, r.n]));
}

/** The first skipped customer of a cycle (by id) and the first reason, e.g. for `pulse audit why`; null if none. */
export async function firstSkippedTarget(db: Db, cycleId: string): Promise<{ customerId: string; code: string } | null> {
  const { rows } = await db.pool.query<{ customer_id: string; code: string }>(
    "SELECT customer_id, reasons->0->>'code' AS code FROM cycle_targets WHERE cycle_id = $1 AND decision = 'skip' ORDER BY customer_id LIMIT 1",
    [cycleId],
  );
  return rows[0] ? { customerId: rows[0].customer_id, code: rows[0].code } : null;
}

/**
 * Treated contacts of one campaign in one shard (customers split by a hash of their id, shifted into
 * 0..2^32-1: abs() of the smallest int4 overflows), with the category the plan found they spend most on.
 */
export async function treatedTargetsForShard(
  db: Db,
  cycleId: string,
  experimentId: string,
  campaignId: string,
  shard: number,
  shardCount: number,
) {
  const { rows } = await db.pool.query(
    `SELECT t.customer_id, t.channel, t.offer_depth, t.top_category, t.recommended_sku, t.planned_at, t.propensity, c.first_name, c.timezone
     FROM cycle_targets t
     JOIN holdout_assignments a ON a.experiment_id = $2 AND a.customer_id = t.customer_id AND a.arm = 'treatment'
     JOIN customers c ON c.customer_id = t.customer_id
     WHERE t.cycle_id = $1 AND t.campaign_id = $3 AND t.decision = 'contact' AND mod(hashtext(t.customer_id)::bigint + 2147483648, $5) = $4
     ORDER BY t.customer_id`,
    [cycleId, experimentId, campaignId, shard, shardCount],
  );
  return rows.map((r) => ({
    customerId: r.customer_id as string,
    channel: r.channel as string,
    offerDepth: r.offer_depth as number,
    firstName: r.first_name as string | null,
    timezone: r.timezone as string,
    topCategory: r.top_category as string | null,
    recommendedSku: r.recommended_sku as string | null,
    plannedAt: (r.planned_at as Date | null) ?? null,
    propensity: r.propensity === null ? null : Number(r.propensity),
  }));
}
