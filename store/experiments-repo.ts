import type { Db } from "./db.js";
import { unpackFeatures } from "./targets-repo.js";
import type { BatchResult } from "./ingest-repo.js";

export interface ExperimentRecord {
  experimentId: string;
  name: string;
  source: string;
  salt: string;
  holdoutShares: Record<string, number>;
  cycleId?: string;
  startedAt?: Date;
}

export async function ensureExperiment(db: Db, e: ExperimentRecord): Promise<void> {
  await db.pool.query(
    `INSERT INTO experiments (experiment_id, cycle_id, source, started_at, name, salt, holdout_shares)
     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (experiment_id) DO NOTHING`,
    [e.experimentId, e.cycleId ?? null, e.source, e.startedAt ?? null, e.name, e.salt, JSON.stringify(e.holdoutShares)],
  );
}

/** A customer of an externally randomized experiment, with arm and outcomes (e.g. Hillstrom). */
export interface ExternalExperimentRow {
  customerId: string;
  region: string;
  signupAt: Date;
  attributes: Record<string, unknown>;
  /** The arm's label in the source (e.g. "Mens E-Mail"), kept as the assignment's segment. */
  armLabel: string;
  treated: boolean;
  visited: boolean;
  converted: boolean;
  revenue: number;
}

/**
 * Writes customers, their assignment and their outcome in one statement. A row counts as inserted
 * when its customer is new, as updated when any of the three changed, else unchanged.
 */
export async function upsertExternalExperimentBatch(
  db: Db,
  experimentId: string,
  observedAt: Date,
  rows: readonly ExternalExperimentRow[],
): Promise<BatchResult> {
  const { rows: out } = await db.pool.query<{ inserted: number; updated: number }>(
    `WITH input AS (
       SELECT * FROM unnest($2::text[], $3::text[], $4::timestamptz[], $5::jsonb[], $6::text[], $7::boolean[], $8::boolean[], $9::boolean[], $10::numeric[])
         AS u(customer_id, region, signup_at, attributes, arm_label, treated, visited, converted, revenue)),
     c AS (
       INSERT INTO customers AS t (customer_id, region, signup_at, attributes)
       SELECT customer_id, region, signup_at, attributes FROM input
       ON CONFLICT (customer_id) DO UPDATE SET region = excluded.region, signup_at = excluded.signup_at,
         attributes = excluded.attributes, updated_at = now()
       WHERE (t.region, t.signup_at, t.attributes) IS DISTINCT FROM (excluded.region, excluded.signup_at, excluded.attributes)
       RETURNING customer_id, (xmax = 0) AS inserted),
     a AS (
       INSERT INTO holdout_assignments AS t (experiment_id, customer_id, segment_id, arm, bucket)
       SELECT $1, customer_id, arm_label, CASE WHEN treated THEN 'treatment' ELSE 'holdout' END, NULL FROM input
       ON CONFLICT (experiment_id, customer_id) DO UPDATE SET segment_id = excluded.segment_id, arm = excluded.arm
       WHERE (t.segment_id, t.arm) IS DISTINCT FROM (excluded.segment_id, excluded.arm)
       RETURNING customer_id),
     o AS (
       INSERT INTO experiment_outcomes AS t (experiment_id, customer_id, visited, converted, revenue, observed_at)
       SELECT $1, customer_id, visited, converted, revenue, $11 FROM input
       ON CONFLICT (experiment_id, customer_id) DO UPDATE SET visited = excluded.visited, converted = excluded.converted,
         revenue = excluded.revenue
       WHERE (t.visited, t.converted, t.revenue) IS DISTINCT FROM (excluded.visited, excluded.converted, excluded.revenue)
       RETURNING customer_id)
     SELECT
       count(*) FILTER (WHERE c.inserted)::int AS inserted,
       count(*) FILTER (WHERE c.inserted IS NOT TRUE AND (c.customer_id IS NOT NULL OR a.customer_id IS NOT NULL OR o.customer_id IS NOT NULL))::int AS updated
     FROM input i LEFT JOIN c USING (customer_id) LEFT JOIN a USING (customer_id) LEFT JOIN o USING (customer_id)`,
    [
      experimentId,
      rows.map((r) => r.customerId),
      rows.map((r) => r.region),
      rows.map((r) => r.signupAt.toISOString()),
      rows.map((r) => JSON.stringify(r.attributes)),
      rows.map((r) => r.armLabel),
      rows.map((r) => r.treated),
      rows.map((r) => r.visited),
      rows.map((r) => r.converted),
      rows.map((r) => r.revenue),
      observedAt.toISOString(),
    ],
  );
  const r = out[0]!;
  return { inserted: r.inserted, updated: r.updated, unchanged: rows.length - r.inserted - r.updated, duplicateKeys: new Set() };
}

/**
 * Creates (or corrects) customers from their first order, for sources that only log transactions.
 * Returns how many customers were inserted and updated.
 */
export async function deriveCustomersFromOrders(
  db: Db,
  customerIdPrefix: string,
  source: string,
): Promise<{ inserted: number; updated: number }> {
  const { rows } = await db.pool.query<{ inserted: number; updated: number }>(
    `WITH c AS (
       INSERT INTO customers AS t (customer_id, signup_at, attributes)
       SELECT customer_id, min(ordered_at), jsonb_build_object('source', $2::text) FROM orders
       WHERE starts_with(customer_id, $1) GROUP BY customer_id
       ON CONFLICT (customer_id) DO UPDATE SET signup_at = excluded.signup_at, updated_at = now()
       WHERE t.signup_at IS DISTINCT FROM excluded.signup_at
       RETURNING (xmax = 0) AS inserted)
     SELECT count(*) FILTER (WHERE inserted)::int AS inserted, count(*) FILTER (WHERE NOT inserted)::int AS updated FROM c`,
    [customerIdPrefix, source],
  );
  return rows[0]!;
}

export interface ArmOutcome {
  armLabel: string;
  arm: string;
  customers: number;
  visitRate: number | null;
  conversionRate: number;
  revenuePerCustomer: number;
}

/** Outcome rates per arm of an experiment. */
export async function outcomesByArm(db: Db, experimentId: string): Promise<ArmOutcome[]> {
  const { rows } = await db.pool.query<{
    arm_label: string;
    arm: string;
    customers: number;
    visit_rate: number | null;
    conversion_rate: number;
    revenue: number;
  }>(
    `SELECT a.segment_id AS arm_label, a.arm, count(*)::int AS customers,
            avg(o.visited::int)::float8 AS visit_rate, avg(o.converted::int)::float8 AS conversion_rate,
            avg(o.revenue)::float8 AS revenue
     FROM holdout_assignments a JOIN experiment_outcomes o USING (experiment_id, customer_id)
     WHERE a.experiment_id = $1 GROUP BY a.segment_id, a.arm ORDER BY a.segment_id`,
    [experimentId],
  );
  return rows.map((r) => ({
    armLabel: r.arm_label,
    arm: r.arm,
    customers: r.customers,
    visitRate: r.visit_rate,
    conversionRate: r.conversion_rate,
    revenuePerCustomer: r.revenue,
  }));
}

// --- holdout assignments and outcomes of Pulse's own experiments -------------------------------

export async function saveAssignments(
  db: Db,
  experimentId: string,
  rows: readonly { customerId: string; segmentId: string | null; arm: "treatment" | "holdout" | "global_control"; bucket: number }[],
): Promise<void> {
  for (let i = 0; i < rows.length; i += 10_000) {
    const b = rows.slice(i, i + 10_000);
    await db.pool.query(
      `INSERT INTO holdout_assignments (experiment_id, customer_id, segment_id, arm, bucket)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::float8[]) ON CONFLICT (experiment_id, customer_id) DO NOTHING`,
      [experimentId, b.map((r) => r.customerId), b.map((r) => r.segmentId), b.map((r) => r.arm), b.map((r) => r.bucket)],
    );
  }
}

export async function armCounts(db: Db, experimentId: string): Promise<Record<string, number>> {
  const { rows } = await db.pool.query<{ arm: string; n: number }>(
    "SELECT arm, count(*)::int AS n FROM holdout_assignments WHERE experiment_id = $1 GROUP BY arm",
    [experimentId],
  );
  return Object.fromEntries(rows.map((r) => [r.arm, r.n]));
}

/** Holdout arm of every customer assigned in an experiment. */
export async function holdoutArms(db: Db, experimentId: string): Promise<Map<string, "treatment" | "holdout" | "global_control">> {
  const { rows } = await db.pool.query<{ customer_id: string; arm: "treatment" | "holdout" | "global_control" }>(
    "SELECT customer_id, arm FROM holdout_assignments WHERE experiment_id = $1",
    [experimentId],
  );
  return new Map(rows.map((r) => [r.customer_id, r.arm]));
}

/**
 * Computes every assigned customer's outcome over [from, to): converted (a completed order),
 * net revenue and margin, unsubscribed (an unsubscribe response or a revoked marketing consent).
 * Treated and held-out customers are measured the same way; writes experiment_outcomes.
 */
export async function measureOutcomes(db: Db, experimentId: string, from: Date, to: Date): Promise<number> {
  const r = await db.pool.query(
    `INSERT INTO experiment_outcomes (experiment_id, customer_id, visited, converted, revenue, margin, unsubscribed, observed_at)
     SELECT a.experiment_id, a.customer_id, NULL,
            coalesce(o.orders, 0) > 0, coalesce(o.revenue, 0), coalesce(o.margin, 0),
            coalesce(u.unsubscribed, false), $3
     FROM holdout_assignments a
     LEFT JOIN LATERAL (
       SELECT count(DISTINCT ord.order_id) AS orders,
              sum(CASE WHEN l.status = 'completed' THEN l.quantity * l.unit_price - l.discount
                       WHEN l.status = 'returned' THEN -abs(l.quantity * l.unit_price) ELSE 0 END) AS revenue,
              sum(CASE WHEN l.status = 'completed' THEN coalesce(l.margin, 0) ELSE 0 END) AS margin
       FROM orders ord JOIN order_lines l USING (order_id)
       WHERE ord.customer_id = a.customer_id AND ord.ordered_at >= $2 AND ord.ordered_at < $3) o ON true
     LEFT JOIN LATERAL (
       SELECT true AS unsubscribed WHERE
         EXISTS (SELECT 1 FROM message_responses m WHERE m.customer_id = a.customer_id AND m.type = 'unsubscribe' AND m.occurred_at >= $2 AND m.occurred_at < $3)
         OR EXISTS (SELECT 1 FROM consents c WHERE c.customer_id = a.customer_id AND c.purpose = 'marketing' AND c.status = 'revoked' AND c.recorded_at >= $2 AND c.recorded_at < $3)) u ON true
     WHERE a.experiment_id = $1
     ON CONFLICT (experiment_id, customer_id) DO UPDATE SET converted = excluded.converted, revenue = excluded.revenue,
       margin = excluded.margin, unsubscribed = excluded.unsubscribed, observed_at = excluded.observed_at`,
    [experimentId, from, to],
  );
  return r.rowCount ?? 0;
}

export interface OutcomeRecord {
  customerId: string;
  segmentId: string;
  strategy: string;
  arm: "treatment" | "holdout" | "global_control";
  converted: boolean;
  revenue: number;
  margin: number;
  unsubscribed: boolean;
  features: number[] | null;
}

export async function outcomeRecords(db: Db, cycleId: string, experimentId: string): Promise<OutcomeRecord[]> {
  const { rows } = await db.pool.query(
    `SELECT a.customer_id, coalesce(t.segment_id, a.segment_id) AS segment_id, coalesce(t.strategy, 'none') AS strategy, a.arm,
            o.converted, o.revenue, coalesce(o.margin, 0) AS margin, o.unsubscribed, t.features
     FROM holdout_assignments a
     JOIN experiment_outcomes o USING (experiment_id, customer_id)
     LEFT JOIN cycle_targets t ON t.cycle_id = $1 AND t.customer_id = a.customer_id
     WHERE a.experiment_id = $2 ORDER BY a.customer_id`,
    [cycleId, experimentId],
  );
  return rows.map((r) => ({
    customerId: r.customer_id,
    segmentId: r.segment_id,
    strategy: r.strategy,
    arm: r.arm,
    converted: r.converted,
    revenue: r.revenue,
    margin: r.margin,
    unsubscribed: r.unsubscribed,
    features: r.features ? unpackFeatures(r.features as Buffer) : null,
  }));
}
