import type { Db } from "./db.js";

/**
 * What planning learns from: randomized readouts per cycle × segment × strategy × channel × offer
 * depth (table uplift_readouts, written by the learn step), and each customer's engagement by
 * local hour (opens, clicks, conversions and orders), for per-customer send times.
 */

export interface ReadoutRow {
  cycleId: string;
  segmentId: string;
  strategy: string;
  channel: string;
  offerDepth: number;
  measuredAt: Date;
  treated: number;
  treatedConversions: number;
  holdout: number;
  holdoutConversions: number;
  meanPredicted: number | null;
}

function readoutOf(r: Record<string, unknown>): ReadoutRow {
  return {
    cycleId: r.cycle_id as string,
    segmentId: r.segment_id as string,
    strategy: r.strategy as string,
    channel: r.channel as string,
    offerDepth: Number(r.offer_depth),
    measuredAt: r.measured_at as Date,
    treated: Number(r.treated),
    treatedConversions: Number(r.treated_conversions),
    holdout: Number(r.holdout),
    holdoutConversions: Number(r.holdout_conversions),
    meanPredicted: r.mean_predicted === null ? null : Number(r.mean_predicted),
  };
}

/**
 * Records a measured cycle's readouts (once: a re-run keeps the first) from its holdout assignments,
 * outcomes and targets, and returns them.
 */
export async function saveCycleReadouts(db: Db, cycleId: string, experimentId: string, measuredAt: Date): Promise<ReadoutRow[]> {
  await db.pool.query(
    `INSERT INTO uplift_readouts (cycle_id, segment_id, strategy, channel, offer_depth, measured_at, treated, treated_conversions,
                                  holdout, holdout_conversions, mean_predicted)
     SELECT $1, t.segment_id, t.strategy, t.channel, t.offer_depth, $3,
            count(*) FILTER (WHERE a.arm = 'treatment'), count(*) FILTER (WHERE a.arm = 'treatment' AND o.converted),
            count(*) FILTER (WHERE a.arm = 'holdout'), count(*) FILTER (WHERE a.arm = 'holdout' AND o.converted),
            avg(t.prior_uplift)
     FROM holdout_assignments a
     JOIN experiment_outcomes o USING (experiment_id, customer_id)
     JOIN cycle_targets t ON t.cycle_id = $1 AND t.customer_id = a.customer_id
     WHERE a.experiment_id = $2 AND a.arm IN ('treatment', 'holdout') AND t.channel IS NOT NULL AND t.decision = 'contact'
     GROUP BY t.segment_id, t.strategy, t.channel, t.offer_depth
     ON CONFLICT DO NOTHING`,
    [cycleId, experimentId, measuredAt],
  );
  const { rows } = await db.pool.query(
    "SELECT * FROM uplift_readouts WHERE cycle_id = $1 ORDER BY segment_id, strategy, channel, offer_depth",
    [cycleId],
  );
  return rows.map(readoutOf);
}

/** Every readout measured at or before `asOf` (evidence from the future is not evidence yet). */
export async function readoutsUpTo(db: Db, asOf: Date): Promise<ReadoutRow[]> {
  const { rows } = await db.pool.query(
    "SELECT * FROM uplift_readouts WHERE measured_at <= $1 ORDER BY measured_at, cycle_id, segment_id, strategy, channel, offer_depth",
    [asOf],
  );
  return rows.map(readoutOf);
}

/** Engagement counts per customer-local hour: opens, clicks (and conversions, counted as clicks) and orders. */
export interface HourHistogram {
  opens: number[];
  clicks: number[];
  purchases: number[];
}

/** Each customer's engagement by local hour over [since, asOf), for the customers who have any. */
export async function engagementByLocalHour(db: Db, since: Date, asOf: Date): Promise<Map<string, HourHistogram>> {
  const { rows } = await db.pool.query(
    `SELECT x.customer_id, x.kind, extract(hour FROM x.at AT TIME ZONE c.timezone)::int AS hour, count(*)::int AS n
     FROM (
       SELECT customer_id, CASE WHEN type = 'open' THEN 'open' ELSE 'click' END AS kind, occurred_at AS at
       FROM message_responses WHERE type IN ('open', 'click', 'conversion') AND occurred_at >= $1 AND occurred_at < $2
       UNION ALL
       SELECT customer_id, 'purchase', ordered_at FROM orders WHERE ordered_at >= $1 AND ordered_at < $2
     ) x JOIN customers c USING (customer_id)
     GROUP BY 1, 2, 3`,
    [since, asOf],
  );
  const out = new Map<string, HourHistogram>();
  for (const r of rows) {
    let h = out.get(r.customer_id);
    if (!h) {
      h = { opens: new Array(24).fill(0), clicks: new Array(24).fill(0), purchases: new Array(24).fill(0) };
      out.set(r.customer_id, h);
    }
    const hour = Number(r.hour);
    if (hour < 0 || hour > 23) continue;
    const list = r.kind === "open" ? h.opens : r.kind === "click" ? h.clicks : h.purchases;
    list[hour] += Number(r.n);
  }
  return out;
}
