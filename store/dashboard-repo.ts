import type { Db } from "./db.js";

/**
 * Read-only aggregates for the HTTP API and the dashboard. Every query groups in SQL and returns
 * a bounded number of rows (per segment, channel, day or bucket), never one row per customer,
 * except qiniSample, which returns at most `limit` rows.
 */

export async function pingDb(db: Db): Promise<void> {
  await db.pool.query("SELECT 1");
}

export interface SegmentRunInfo {
  runId: string;
  asOf: Date;
  k: number;
  silhouette: number | null;
  daviesBouldin: number | null;
  previousRunId: string | null;
}

/** The segment run asked for, or the latest one, with the run before it (by as-of time). */
export async function segmentRunInfo(db: Db, runId?: string): Promise<SegmentRunInfo | undefined> {
  const { rows } = await db.pool.query<{
    run_id: string;
    as_of: Date;
    k: number;
    silhouette: number | null;
    davies_bouldin: number | null;
    previous_run_id: string | null;
  }>(
    `SELECT r.run_id, r.as_of, r.k, r.silhouette, r.davies_bouldin,
            (SELECT p.run_id FROM segment_runs p WHERE (p.as_of, p.created_at) < (r.as_of, r.created_at)
              ORDER BY p.as_of DESC, p.created_at DESC LIMIT 1) AS previous_run_id
     FROM segment_runs r ${runId ? "WHERE r.run_id = $1" : ""} ORDER BY r.as_of DESC, r.created_at DESC LIMIT 1`,
    runId ? [runId] : [],
  );
  const r = rows[0];
  return r
    ? {
        runId: r.run_id,
        asOf: r.as_of,
        k: r.k,
        silhouette: r.silhouette,
        daviesBouldin: r.davies_bouldin,
        previousRunId: r.previous_run_id,
      }
    : undefined;
}

export interface SegmentRow {
  segmentId: string;
  name: string;
  size: number;
  outliers: number;
  profile: Record<string, unknown>;
}

export async function segmentsOfRun(db: Db, runId: string): Promise<SegmentRow[]> {
  const { rows } = await db.pool.query<{
    segment_id: string;
    name: string;
    size: number;
    profile: Record<string, unknown>;
    outliers: number;
  }>(
    `SELECT s.segment_id, s.name, s.size, s.profile,
            (SELECT count(*)::int FROM segment_memberships m WHERE m.run_id = s.run_id AND m.segment_id = s.segment_id AND m.is_outlier) AS outliers
     FROM segments s WHERE s.run_id = $1 ORDER BY s.size DESC, s.segment_id`,
    [runId],
  );
  return rows.map((r) => ({ segmentId: r.segment_id, name: r.name, size: r.size, outliers: r.outliers, profile: r.profile }));
}

export interface MigrationFlow {
  /** Segment id in the earlier run; null for customers new in the later run. */
  from: string | null;
  /** Segment id in the later run; null for customers absent from it. */
  to: string | null;
  customers: number;
}

/** How many customers moved from each segment of one run to each segment of another. */
export async function segmentMigrations(db: Db, fromRunId: string, toRunId: string): Promise<MigrationFlow[]> {
  const { rows } = await db.pool.query<{ from_segment: string | null; to_segment: string | null; customers: number }>(
    `SELECT a.segment_id AS from_segment, b.segment_id AS to_segment, count(*)::int AS customers
     FROM (SELECT customer_id, segment_id FROM segment_memberships WHERE run_id = $1) a
     FULL JOIN (SELECT customer_id, segment_id FROM segment_memberships WHERE run_id = $2) b USING (customer_id)
     GROUP BY 1, 2 ORDER BY 3 DESC`,
    [fromRunId, toRunId],
  );
  return rows.map((r) => ({ from: r.from_segment, to: r.to_segment, customers: r.customers }));
}

/** When the last message was sent or answered; undefined before any. */
export async function latestActivityAt(db: Db): Promise<Date | undefined> {
  const { rows } = await db.pool.query<{ at: Date | null }>(
    "SELECT greatest((SELECT max(sent_at) FROM messages), (SELECT max(occurred_at) FROM message_responses)) AS at",
  );
  return rows[0]?.at ?? undefined;
}

export interface DailyChannelCount {
  day: string;
  channel: string;
  messages: number;
}

/** Messages sent per channel per UTC day in [from, to). */
export async function messagesPerChannelPerDay(db: Db, from: Date, to: Date): Promise<DailyChannelCount[]> {
  const { rows } = await db.pool.query<{ day: string; channel: string; messages: number }>(
    `SELECT to_char(date_trunc('day', sent_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day, channel, count(*)::int AS messages
     FROM messages WHERE status = 'sent' AND sent_at >= $1 AND sent_at < $2 GROUP BY 1, 2 ORDER BY 1, 2`,
    [from, to],
  );
  return rows;
}

export interface DailyUnsubscribes {
  day: string;
  unsubscribes: number;
  delivered: number;
  /** Unsubscribes per delivered message that day; null without deliveries. */
  rate: number | null;
}

/** Unsubscribes per UTC day in [from, to), against deliveries the same day. */
export async function unsubscribesPerDay(db: Db, from: Date, to: Date): Promise<DailyUnsubscribes[]> {
  const { rows } = await db.pool.query<{ day: string; unsubscribes: number; delivered: number }>(
    `SELECT to_char(date_trunc('day', occurred_at AT TIME ZONE 'UTC'), 'YYYY-MM-DD') AS day,
            count(*) FILTER (WHERE type = 'unsubscribe')::int AS unsubscribes,
            count(*) FILTER (WHERE type = 'delivered')::int AS delivered
     FROM message_responses WHERE type IN ('unsubscribe', 'delivered') AND occurred_at >= $1 AND occurred_at < $2
     GROUP BY 1 ORDER BY 1`,
    [from, to],
  );
  return rows.map((r) => ({ ...r, rate: r.delivered > 0 ? r.unsubscribes / r.delivered : null }));
}

export interface FatigueBucket {
  segmentId: string;
  /** 0..buckets-1: fatigue score in [bucket/buckets, (bucket+1)/buckets). */
  bucket: number;
  customers: number;
}

/** Fatigue scores (0..1) of a score run, per segment of a segment run, in equal-width buckets. */
export async function fatigueDistribution(db: Db, fatigueRunId: string, segmentRunId: string, buckets = 10): Promise<FatigueBucket[]> {
  const { rows } = await db.pool.query<{ segment_id: string; bucket: number; customers: number }>(
    `SELECT m.segment_id, least(width_bucket(s.value, 0, 1, $3::int), $3::int) - 1 AS bucket, count(*)::int AS customers
     FROM scores s JOIN segment_memberships m ON m.customer_id = s.customer_id AND m.run_id = $2
     WHERE s.run_id = $1 GROUP BY 1, 2 ORDER BY 1, 2`,
    [fatigueRunId, segmentRunId, buckets],
  );
  return rows.map((r) => ({ segmentId: r.segment_id, bucket: Math.max(0, r.bucket), customers: r.customers }));
}

export interface ModelRun {
  runId: string;
  model: string;
  version: string;
  asOf: Date;
  metrics: Record<string, unknown>;
}

/** Score runs of models whose name starts with `prefix` (e.g. "uplift:"), newest first. */
export async function modelRuns(db: Db, prefix: string, limit = 20): Promise<ModelRun[]> {
  const { rows } = await db.pool.query<{ run_id: string; model: string; version: string; as_of: Date; metrics: Record<string, unknown> }>(
    `SELECT run_id, model, version, as_of, metrics FROM score_runs WHERE starts_with(model, $1) ORDER BY as_of DESC, created_at DESC LIMIT $2`,
    [prefix, limit],
  );
  return rows.map((r) => ({ runId: r.run_id, model: r.model, version: r.version, asOf: r.as_of, metrics: r.metrics }));
}

export interface QiniRow {
  score: number;
  treated: boolean;
  converted: boolean;
}

/**
 * The uplift a cycle's plan predicted for its contacts of one strategy, with the randomized arm and
 * the outcome measured: what a Qini curve of that prediction is drawn from. A stable pseudo-random
 * sample of at most `limit` customers (by a hash of the id).
 */
export async function qiniSample(db: Db, cycleId: string, strategy: string, limit = 20_000): Promise<QiniRow[]> {
  const { rows } = await db.pool.query<{ score: number; treated: boolean; converted: boolean }>(
    `SELECT t.predicted_uplift AS score, h.arm = 'treatment' AS treated, o.converted
     FROM cycle_targets t
     JOIN experiments e ON e.cycle_id = t.cycle_id
     JOIN holdout_assignments h ON h.experiment_id = e.experiment_id AND h.customer_id = t.customer_id
     JOIN experiment_outcomes o ON o.experiment_id = e.experiment_id AND o.customer_id = t.customer_id
     WHERE t.cycle_id = $1 AND t.strategy = $2 AND t.decision = 'contact' AND t.predicted_uplift IS NOT NULL
       AND h.arm IN ('treatment', 'holdout')
     ORDER BY md5(t.customer_id) LIMIT $3`,
    [cycleId, strategy, limit],
  );
  return rows;
}

/** Strategies a cycle contacted customers with and measured. */
export async function measuredStrategies(db: Db, cycleId: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ strategy: string }>(
    `SELECT DISTINCT t.strategy FROM cycle_targets t
     JOIN experiments e ON e.cycle_id = t.cycle_id
     JOIN experiment_outcomes o ON o.experiment_id = e.experiment_id AND o.customer_id = t.customer_id
     WHERE t.cycle_id = $1 AND t.decision = 'contact' ORDER BY 1`,
    [cycleId],
  );
  return rows.map((r) => r.strategy);
}

export interface ClvDecile {
  decile: number;
  customers: number;
  predictedClv: number;
  /** Net spend (completed lines) after the run's as-of time. */
  observedSpend: number;
}

/** CLV predictions of a score run in deciles, against what those customers spent after its as-of time. */
export async function clvDeciles(db: Db, clvRunId: string): Promise<{ deciles: ClvDecile[]; observedDays: number }> {
  const { rows } = await db.pool.query<{ decile: number; customers: number; predicted: number; observed: number; observed_days: number }>(
    `WITH run AS (SELECT as_of FROM score_runs WHERE run_id = $1),
     s AS (SELECT customer_id, value, ntile(10) OVER (ORDER BY value) AS decile FROM scores WHERE run_id = $1),
     spend AS (
       SELECT o.customer_id, sum(l.quantity * l.unit_price - l.discount)::float8 AS spend
       FROM orders o JOIN order_lines l USING (order_id), run
       WHERE o.ordered_at > run.as_of AND l.status = 'completed' GROUP BY 1)
     SELECT s.decile, count(*)::int AS customers, avg(s.value)::float8 AS predicted, avg(coalesce(spend.spend, 0))::float8 AS observed,
            (SELECT coalesce(extract(epoch FROM max(o.ordered_at) - (SELECT as_of FROM run)) / 86400, 0)::float8 FROM orders o WHERE o.ordered_at > (SELECT as_of FROM run)) AS observed_days
     FROM s LEFT JOIN spend USING (customer_id) GROUP BY s.decile ORDER BY s.decile`,
    [clvRunId],
  );
  return {
    deciles: rows.map((r) => ({ decile: r.decile, customers: r.customers, predictedClv: r.predicted, observedSpend: r.observed })),
    observedDays: rows[0]?.observed_days ?? 0,
  };
}
export interface SegmentRunQuality {
  runId: string;
  asOf: Date;
  k: number;
  silhouette: number | null;
  daviesBouldin: number | null;
}

/** Segment quality of the latest runs, oldest first. */
export async function segmentRunHistory(db: Db, limit = 12): Promise<SegmentRunQuality[]> {
  const { rows } = await db.pool.query<{
    run_id: string;
    as_of: Date;
    k: number;
    silhouette: number | null;
    davies_bouldin: number | null;
  }>(
    `SELECT * FROM (SELECT run_id, as_of, created_at, k, silhouette, davies_bouldin FROM segment_runs ORDER BY as_of DESC, created_at DESC LIMIT $1) r
     ORDER BY as_of, created_at`,
    [limit],
  );
  return rows.map((r) => ({ runId: r.run_id, asOf: r.as_of, k: r.k, silhouette: r.silhouette, daviesBouldin: r.davies_bouldin }));
}
