import type { Db } from "./db.js";
import { jsonFloat, skipReferenceChecks } from "./sql-values.js";

/** Segment runs, segments and memberships; score runs and scores (models stored as a run's params). */

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

/** Segment of every customer a segment run placed, by customer id. */
export async function segmentMemberships(db: Db, runId: string): Promise<Map<string, string>> {
  const { rows } = await db.pool.query<{ customer_id: string; segment_id: string }>(
    "SELECT customer_id, segment_id FROM segment_memberships WHERE run_id = $1",
    [runId],
  );
  return new Map(rows.map((r) => [r.customer_id, r.segment_id]));
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
