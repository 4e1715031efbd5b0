import type pg from "pg";
import { StoreError } from "../core/errors.js";
import type { Db } from "./db.js";

/** Cycles, segment runs, scores, targets, holdouts, messages and outcomes: the cycle's records. */

export type CycleStatus = "running" | "awaiting_approval" | "approved" | "rejected" | "activated" | "measured" | "done" | "failed";

export async function createCycle(db: Db, c: { cycleId: string; requestedBy: string; asOf: Date }): Promise<void> {
  await db.pool.query(
    `INSERT INTO cycles (cycle_id, status, requested_by, as_of) VALUES ($1, 'running', $2, $3) ON CONFLICT (cycle_id) DO NOTHING`,
    [c.cycleId, c.requestedBy, c.asOf],
  );
}

export async function setCycleStatus(
  db: Db,
  cycleId: string,
  status: CycleStatus,
  patch: { plan?: unknown; summary?: unknown } = {},
): Promise<void> {
  await db.pool.query(
    `UPDATE cycles SET status = $2, updated_at = now(),
       plan = coalesce($3::jsonb, plan), summary = coalesce(summary, '{}'::jsonb) || coalesce($4::jsonb, '{}'::jsonb)
     WHERE cycle_id = $1`,
    [
      cycleId,
      status,
      patch.plan === undefined ? null : JSON.stringify(patch.plan),
      patch.summary === undefined ? null : JSON.stringify(patch.summary),
    ],
  );
}

export interface CycleRow {
  cycleId: string;
  status: CycleStatus;
  requestedBy: string;
  asOf: Date;
  createdAt: Date;
  updatedAt: Date;
  summary: Record<string, unknown> | null;
}

export async function getCycle(db: Db, cycleId: string): Promise<CycleRow | undefined> {
  const { rows } = await db.pool.query(
    "SELECT cycle_id, status, requested_by, as_of, created_at, updated_at, summary FROM cycles WHERE cycle_id = $1",
    [cycleId],
  );
  const r = rows[0];
  return (
    r && {
      cycleId: r.cycle_id,
      status: r.status,
      requestedBy: r.requested_by,
      asOf: r.as_of,
      createdAt: r.created_at,
      updatedAt: r.updated_at,
      summary: r.summary,
    }
  );
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

// --- segmentation ---------------------------------------------------------------------------

export interface SegmentRecord {
  segmentId: string;
  name: string;
  size: number;
  centroid: unknown;
  profile: unknown;
}

export async function saveSegmentRun(
  db: Db,
  run: { runId: string; asOf: Date; k: number; silhouette: number | null; daviesBouldin: number | null; params: unknown; report: unknown },
  segments: readonly SegmentRecord[],
  memberships: { customerIds: readonly string[]; segmentIds: readonly string[]; outliers?: ReadonlySet<string> },
): Promise<void> {
  await db.transaction(async (c) => {
    const exists = await c.query("SELECT 1 FROM segment_runs WHERE run_id = $1", [run.runId]);
    if (exists.rowCount) return;
    await c.query(
      "INSERT INTO segment_runs (run_id, as_of, k, silhouette, davies_bouldin, params, report) VALUES ($1, $2, $3, $4, $5, $6, $7)",
      [run.runId, run.asOf, run.k, run.silhouette, run.daviesBouldin, JSON.stringify(run.params), JSON.stringify(run.report)],
    );
    // The run's rows reference the run written just above.
    await skipReferenceChecks(db, c);
    await c.query(
      `INSERT INTO segments (run_id, segment_id, name, size, centroid, profile)
       SELECT $1, * FROM unnest($2::text[], $3::text[], $4::int[], $5::jsonb[], $6::jsonb[])`,
      [
        run.runId,
        segments.map((s) => s.segmentId),
        segments.map((s) => s.name),
        segments.map((s) => s.size),
        segments.map((s) => JSON.stringify(s.centroid)),
        segments.map((s) => JSON.stringify(s.profile)),
      ],
    );
    for (let i = 0; i < memberships.customerIds.length; i += 10_000) {
      const ids = memberships.customerIds.slice(i, i + 10_000);
      await c.query(
        `INSERT INTO segment_memberships (run_id, customer_id, segment_id, is_outlier) SELECT $1, * FROM unnest($2::text[], $3::text[], $4::boolean[])`,
        [run.runId, ids, memberships.segmentIds.slice(i, i + 10_000), ids.map((id) => memberships.outliers?.has(id) ?? false)],
      );
    }
  });
}

export interface PreviousRun {
  runId: string;
  report: Record<string, unknown>;
  segments: { segmentId: string; name: string; centroid: unknown }[];
  memberships: Map<string, string>;
}

/** The latest segment run before `asOf`, with memberships, for stable identity. */
export async function latestSegmentRun(db: Db, before: Date, excludeRunId?: string): Promise<PreviousRun | undefined> {
  const { rows } = await db.pool.query<{ run_id: string; report: Record<string, unknown> }>(
    "SELECT run_id, report FROM segment_runs WHERE as_of <= $1 AND run_id IS DISTINCT FROM $2 ORDER BY as_of DESC, created_at DESC LIMIT 1",
    [before, excludeRunId ?? null],
  );
  const run = rows[0];
  if (!run) return undefined;
  const segs = await db.pool.query<{ segment_id: string; name: string; centroid: unknown }>(
    "SELECT segment_id, name, centroid FROM segments WHERE run_id = $1 ORDER BY segment_id",
    [run.run_id],
  );
  const mem = await db.pool.query<{ customer_id: string; segment_id: string }>(
    "SELECT customer_id, segment_id FROM segment_memberships WHERE run_id = $1",
    [run.run_id],
  );
  return {
    runId: run.run_id,
    report: run.report,
    segments: segs.rows.map((s) => ({ segmentId: s.segment_id, name: s.name, centroid: s.centroid })),
    memberships: new Map(mem.rows.map((m) => [m.customer_id, m.segment_id])),
  };
}

// --- scores -----------------------------------------------------------------------------------

export async function saveScores(
  db: Db,
  run: { runId: string; model: string; version: string; asOf: Date; metrics?: unknown; params?: unknown },
  scores: { customerIds: readonly string[]; values: ArrayLike<number>; details?: readonly unknown[] },
): Promise<void> {
  await db.transaction(async (c) => {
    const inserted = await c.query(
      "INSERT INTO score_runs (run_id, model, version, as_of, metrics, params) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (run_id) DO NOTHING",
      [run.runId, run.model, run.version, run.asOf, JSON.stringify(run.metrics ?? {}), JSON.stringify(run.params ?? {})],
    );
    if (!inserted.rowCount || scores.customerIds.length === 0) return;
    // The scores reference the run written just above.
    await skipReferenceChecks(db, c);
    for (let i = 0; i < scores.customerIds.length; i += 10_000) {
      const ids = scores.customerIds.slice(i, i + 10_000);
      // One JSON document per chunk (see insertAuditRows): far cheaper for the database than a jsonb[] parameter.
      await c.query(
        `INSERT INTO scores (run_id, customer_id, value, detail)
         SELECT $1, r.customer_id, r.value, r.detail FROM jsonb_to_recordset($2::jsonb) AS r(customer_id text, value float8, detail jsonb)`,
        [
          run.runId,
          JSON.stringify(
            ids.map((id, j) => ({ customer_id: id, value: jsonFloat(scores.values[i + j]), detail: scores.details?.[i + j] ?? null })),
          ),
        ],
      );
    }
  });
}

/**
 * For the rest of the caller's transaction, on the embedded database: no foreign-key checks, for
 * bulk rows that reference parent rows the same transaction has just written or checked (a score
 * run and its scores). There the per-row foreign-key triggers are most of an insert's time (three
 * quarters for a cycle's scores), and they can only re-confirm what the transaction established.
 * session_replication_role = replica turns off triggers (on these tables, only the foreign keys'),
 * nothing else: unique keys, NOT NULL and CHECK constraints still hold. PostgreSQL keeps its checks
 * (cheap there, and the setting needs a superuser).
 */
async function skipReferenceChecks(db: Db, client: pg.PoolClient): Promise<void> {
  if (db.kind === "pglite") await client.query("SET LOCAL session_replication_role = replica");
}

/**
 * A float for a JSON document read by jsonb_to_recordset: JSON has no NaN or Infinity (JSON.stringify
 * would write null), so those travel as the strings float8's input accepts, as they did as parameters.
 */
function jsonFloat(v: number | null | undefined): number | string | null {
  if (v === null || v === undefined) return null;
  return Number.isFinite(v) ? v : String(v);
}

/** The most recent model of a kind (e.g. an uplift model per strategy) stored as a score run's params. */
export async function latestModel<T>(
  db: Db,
  model: string,
): Promise<{ runId: string; asOf: Date; params: T; metrics: Record<string, unknown> } | undefined> {
  const { rows } = await db.pool.query(
    "SELECT run_id, as_of, params, metrics FROM score_runs WHERE model = $1 ORDER BY as_of DESC, created_at DESC LIMIT 1",
    [model],
  );
  const r = rows[0];
  return r && { runId: r.run_id, asOf: r.as_of, params: r.params as T, metrics: r.metrics };
}

// --- targets ----------------------------------------------------------------------------------

export interface TargetRow {
  customerId: string;
  segmentId: string;
  strategy: string;
  channel: string | null;
  offerDepth: number;
  campaignId: string | null;
  decision: "contact" | "skip";
  predictedUplift: number | null;
  expectedValue: number | null;
  reasons: { code: string; message: string }[];
  features?: ArrayLike<number>;
  /** The category the customer spent most on, for the copy. */
  topCategory?: string | null;
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
        `INSERT INTO cycle_targets (cycle_id, customer_id, segment_id, strategy, channel, offer_depth, campaign_id, decision, predicted_uplift, expected_value, reasons, features, top_category)
         SELECT $1, u.customer_id, u.segment_id, u.strategy, u.channel, u.offer_depth, u.campaign_id, u.decision, u.predicted_uplift, u.expected_value, u.reasons, u.features, u.top_category
         FROM jsonb_to_recordset($2::jsonb)
           AS u(customer_id text, segment_id text, strategy text, channel text, offer_depth numeric, campaign_id text, decision text, predicted_uplift float8, expected_value float8, reasons jsonb, features bytea, top_category text)`,
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

export async function contactTargets(
  db: Db,
  cycleId: string,
): Promise<{ customerId: string; segmentId: string; strategy: string; channel: string; offerDepth: number; campaignId: string }[]> {
  const { rows } = await db.pool.query(
    `SELECT customer_id, segment_id, strategy, channel, offer_depth, campaign_id FROM cycle_targets
     WHERE cycle_id = $1 AND decision = 'contact' ORDER BY customer_id`,
    [cycleId],
  );
  return rows.map((r) => ({
    customerId: r.customer_id,
    segmentId: r.segment_id,
    strategy: r.strategy,
    channel: r.channel,
    offerDepth: r.offer_depth,
    campaignId: r.campaign_id,
  }));
}

export async function targetSummary(db: Db, cycleId: string): Promise<{ decision: string; code: string; customers: number }[]> {
  const { rows } = await db.pool.query(
    `SELECT decision, coalesce(reasons->0->>'code', 'contact') AS code, count(*)::int AS customers FROM cycle_targets
     WHERE cycle_id = $1 GROUP BY 1, 2 ORDER BY 3 DESC`,
    [cycleId],
  );
  return rows;
}

// --- holdouts ---------------------------------------------------------------------------------

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

/** Treated contacts of a cycle in one shard (customers sorted by id, `shard` of `shards` by position). */
export async function treatedTargetsPage(db: Db, cycleId: string, experimentId: string, afterCustomerId: string, limit: number) {
  const { rows } = await db.pool.query(
    `SELECT t.customer_id, t.segment_id, t.strategy, t.channel, t.offer_depth, t.campaign_id, c.first_name, c.timezone
     FROM cycle_targets t
     JOIN holdout_assignments a ON a.experiment_id = $2 AND a.customer_id = t.customer_id AND a.arm = 'treatment'
     JOIN customers c ON c.customer_id = t.customer_id
     WHERE t.cycle_id = $1 AND t.decision = 'contact' AND t.customer_id > $3
     ORDER BY t.customer_id LIMIT $4`,
    [cycleId, experimentId, afterCustomerId, limit],
  );
  return rows.map((r) => ({
    customerId: r.customer_id as string,
    segmentId: r.segment_id as string,
    strategy: r.strategy as string,
    channel: r.channel as string,
    offerDepth: r.offer_depth as number,
    campaignId: r.campaign_id as string,
    firstName: r.first_name as string | null,
    timezone: r.timezone as string,
  }));
}

// --- messages ---------------------------------------------------------------------------------

export interface NewMessage {
  messageId: string;
  dedupeKey: string;
  cycleId: string;
  campaignId: string;
  customerId: string;
  channel: string;
  strategy: string;
  offerDepth: number;
  templateId: string | null;
  variantId: string;
  content: unknown;
}

/**
 * Inserts messages; the unique dedupe key makes a second row for the same (cycle, campaign,
 * customer, channel) impossible. Returns the dedupe keys this call created (a re-run creates none).
 */
export async function insertMessages(db: Db | pg.PoolClient, messages: readonly NewMessage[]): Promise<Set<string>> {
  if (messages.length === 0) return new Set();
  const runner = "pool" in db ? db.pool : db;
  const { rows } = await runner.query<{ dedupe_key: string }>(
    `INSERT INTO messages (message_id, dedupe_key, cycle_id, campaign_id, customer_id, channel, strategy, offer_depth, template_id, variant_id, content)
     SELECT m.message_id, m.dedupe_key, m.cycle_id, m.campaign_id, m.customer_id, m.channel, m.strategy, m.offer_depth, m.template_id, m.variant_id, m.content
     FROM jsonb_to_recordset($1::jsonb) AS m(message_id text, dedupe_key text, cycle_id text, campaign_id text, customer_id text, channel text, strategy text, offer_depth numeric, template_id text, variant_id text, content jsonb)
     ON CONFLICT (dedupe_key) DO NOTHING RETURNING dedupe_key`,
    [
      JSON.stringify(
        messages.map((m) => ({
          message_id: m.messageId,
          dedupe_key: m.dedupeKey,
          cycle_id: m.cycleId,
          campaign_id: m.campaignId,
          customer_id: m.customerId,
          channel: m.channel,
          strategy: m.strategy,
          offer_depth: jsonFloat(m.offerDepth),
          template_id: m.templateId,
          variant_id: m.variantId,
          content: m.content ?? null,
        })),
      ),
    ],
  );
  return new Set(rows.map((r) => r.dedupe_key));
}

export interface MessageRow {
  message_id: string;
  dedupe_key: string;
  cycle_id: string;
  campaign_id: string;
  customer_id: string;
  channel: string;
  strategy: string;
  offer_depth: number;
  template_id: string | null;
  variant_id: string;
  content: Record<string, unknown>;
  status: string;
  sent_at: Date | null;
}

export async function getMessage(db: Db, messageId: string): Promise<MessageRow | undefined> {
  const { rows } = await db.pool.query<MessageRow>("SELECT * FROM messages WHERE message_id = $1", [messageId]);
  return rows[0];
}

/** Many messages by id in one query (ids not found are simply absent from the map). */
export async function getMessages(db: Db, messageIds: readonly string[]): Promise<Map<string, MessageRow>> {
  if (messageIds.length === 0) return new Map();
  const { rows } = await db.pool.query<MessageRow>("SELECT * FROM messages WHERE message_id = ANY($1::text[])", [messageIds]);
  return new Map(rows.map((r) => [r.message_id, r]));
}

/**
 * Marks many messages at once, each with its own status (sent, dead_lettered, suppressed), where
 * they are still queued; returns the ids this call changed (a redelivered job's message is not among
 * them). Meant for the caller's transaction, next to the audit entries of the same messages.
 */
export async function markMessages(
  client: pg.PoolClient,
  updates: readonly { messageId: string; status: string }[],
  at: Date | null,
): Promise<Set<string>> {
  if (updates.length === 0) return new Set();
  const { rows } = await client.query<{ message_id: string }>(
    `UPDATE messages m SET status = u.status, sent_at = coalesce($3::timestamptz, m.sent_at)
     FROM unnest($1::text[], $2::text[]) AS u(message_id, status)
     WHERE m.message_id = u.message_id AND m.status = 'queued'
     RETURNING m.message_id`,
    [updates.map((u) => u.messageId), updates.map((u) => u.status), at],
  );
  return new Set(rows.map((r) => r.message_id));
}

/** Messages of a cycle still queued (created but not delivered), e.g. after a worker died. */
export async function queuedMessageIds(db: Db, cycleId: string): Promise<string[]> {
  const { rows } = await db.pool.query<{ message_id: string }>(
    "SELECT message_id FROM messages WHERE cycle_id = $1 AND status = 'queued' ORDER BY message_id",
    [cycleId],
  );
  return rows.map((r) => r.message_id);
}

export async function messageCounts(db: Db, cycleId: string): Promise<{ channel: string; status: string; n: number }[]> {
  const { rows } = await db.pool.query(
    "SELECT channel, status, count(*)::int AS n FROM messages WHERE cycle_id = $1 GROUP BY 1, 2 ORDER BY 1, 2",
    [cycleId],
  );
  return rows;
}

// --- outcomes ---------------------------------------------------------------------------------

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
              sum(CASE WHEN l.status = 'completed' THEN coalesce(l.margin, 0) - l.discount ELSE 0 END) AS margin
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
    `SELECT t.customer_id, t.channel, t.offer_depth, t.top_category, c.first_name, c.timezone
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
  }));
}

/** Queued (not yet delivered) messages of a campaign for the given customers. */
export async function queuedMessagesFor(db: Db, campaignId: string, customerIds: readonly string[]) {
  const { rows } = await db.pool.query<{ message_id: string; customer_id: string; variant_id: string }>(
    "SELECT message_id, customer_id, variant_id FROM messages WHERE campaign_id = $1 AND customer_id = ANY($2) AND status = 'queued' ORDER BY customer_id",
    [campaignId, customerIds],
  );
  return rows.map((r) => ({ messageId: r.message_id, customerId: r.customer_id, variantId: r.variant_id }));
}

export interface ConsentRecord {
  status: "granted" | "revoked";
  source: string | null;
  recordedAt: Date;
}

/**
 * The consent record in force for each (customer, channel) pair and a purpose at a time, in one
 * query: the latest record at or before `at`, a tie going to revoked. Keyed by
 * `${customerId}|${channel}`; pairs without a record are absent.
 */
export async function consentsInForce(
  db: Db,
  pairs: readonly { customerId: string; channel: string }[],
  purpose: string,
  at: Date,
): Promise<Map<string, ConsentRecord>> {
  if (pairs.length === 0) return new Map();
  const { rows } = await db.pool.query(
    `SELECT q.customer_id, q.channel, c.status, c.source, c.recorded_at
     FROM unnest($1::text[], $2::text[]) AS q(customer_id, channel)
     JOIN LATERAL (
       SELECT status, source, recorded_at FROM consents
       WHERE customer_id = q.customer_id AND channel = q.channel AND purpose = $3 AND recorded_at <= $4
       ORDER BY recorded_at DESC, status DESC LIMIT 1) c ON true`,
    [pairs.map((p) => p.customerId), pairs.map((p) => p.channel), purpose, at],
  );
  return new Map(rows.map((r) => [`${r.customer_id}|${r.channel}`, { status: r.status, source: r.source, recordedAt: r.recorded_at }]));
}

export async function campaignsOf(db: Db, cycleId: string): Promise<unknown[]> {
  const { rows } = await db.pool.query<{ campaigns: unknown[] | null }>(
    "SELECT plan -> 'campaigns' AS campaigns FROM cycles WHERE cycle_id = $1",
    [cycleId],
  );
  return rows[0]?.campaigns ?? [];
}
