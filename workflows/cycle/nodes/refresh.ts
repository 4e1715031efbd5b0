import { createHash } from "node:crypto";
import { explainSegments } from "../../../agents/segmentation-analyst/index.js";
import { latestSegmentRun, saveScores, saveSegmentRun, segmentMemberships } from "../../../store/segments-repo.js";
import { signedLog1p } from "../../../tools/features-standardize.js";
import { startClvThread } from "../../../tools/clv-thread.js";
import { FEATURE_COUNT, type FeatureMatrix } from "../../../tools/features.js";
import { segmentMatrix } from "../../../tools/segment.js";
import { ARCHETYPE_NAMES, type ArchetypeName } from "../../../tools/segment-naming.js";
import { auditAgentDecision, auditToolCall } from "../audit-helpers.js";
import { assembleCycleData, churnOf, clvInputOf, computeCycleData, featureIndex, loadCycleInputs, type CycleData } from "../cycle-data.js";
import { cycleLlm, type CycleDeps } from "../deps.js";
import { segmentRunId } from "../ids.js";
import type { CycleState } from "../state.js";

/** Money and count features are clustered on a log scale so a few big spenders don't make their own segments. */
const LOG_SCALE = new Set([
  "recency_days",
  "frequency",
  "monetary",
  "aov",
  "tenure_days",
  "overdue_ratio",
  "days_since_engagement",
  "mean_interpurchase_days",
]);

const digestBuffer = (a: ArrayLike<number>) =>
  createHash("sha256")
    .update(Buffer.from(Float64Array.from(a).buffer))
    .digest("hex");

/** The cycle's per-customer data: from this process's cache, else computed (same result after a restart). */
export async function cycleData(deps: CycleDeps, state: Pick<CycleState, "cycleId" | "asOf" | "settings">): Promise<CycleData> {
  let data = deps.memo.data(state.cycleId);
  if (!data) {
    data = await computeCycleData(deps.db, new Date(state.asOf), { attributionDays: state.settings.attributionDays });
    deps.memo.keep(state.cycleId, data);
  }
  return data;
}

/** The segment tool's archetype as the naming tool's type (null for a descriptive name). */
const archetypeOf = (a: string | null): ArchetypeName | null =>
  (ARCHETYPE_NAMES as readonly string[]).includes(a ?? "") ? (a as ArchetypeName) : null;

/** Segment of every customer of the cycle, by position in CycleData.customers (after refresh). */
export async function segmentOf(deps: CycleDeps, cycleId: string): Promise<Map<string, string>> {
  return segmentMemberships(deps.db, segmentRunId(cycleId));
}

export async function refreshNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  const started = Date.now();
  const { cycleId } = state;
  const asOf = new Date(state.asOf);
  const llm = cycleLlm(deps, state);

  // The cycle's data: cached by this process, else read now. Reading it, the CLV model is fitted on
  // its own thread while this one trains churn, segments and the database stores the segment run.
  let data = deps.memo.data(cycleId);
  let finish: (() => Promise<CycleData>) | undefined;
  let features: FeatureMatrix;
  let fatigue: CycleData["fatigue"];
  if (data) {
    features = data.features;
    fatigue = data.fatigue;
  } else {
    const clvThread = startClvThread();
    try {
      const inputs = await loadCycleInputs(deps.db, asOf);
      if (inputs.customers.length === 0) throw new Error(`no customers signed up before ${state.asOf}: load data first (pulse ingest)`);
      const clvPending = clvThread.compute(clvInputOf(inputs));
      clvPending.catch(() => {});
      const churn = churnOf(inputs);
      finish = async () => assembleCycleData(inputs, await clvPending, churn, { attributionDays: state.settings.attributionDays });
      features = inputs.features;
      fatigue = inputs.fatigue;
    } catch (err) {
      await clvThread.close();
      throw err;
    }
  }
  const n = features.customer_ids.length;
  if (n === 0) throw new Error(`no customers signed up before ${state.asOf}: load data first (pulse ingest)`);

  // Segmentation on the chosen features, with identities carried over from the previous run.
  const names = state.settings.segmentFeatures;
  const cols = names.map(featureIndex);
  const matrix = new Float64Array(n * cols.length);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < cols.length; j++) {
      const v = features.values[i * FEATURE_COUNT + cols[j]!]!;
      matrix[i * cols.length + j] = LOG_SCALE.has(names[j]!) ? signedLog1p(v) : v;
    }
  }
  const monetary = Float64Array.from({ length: n }, (_, i) => features.values[i * FEATURE_COUNT + featureIndex("monetary")]!);
  const previous = await latestSegmentRun(deps.db, asOf, segmentRunId(cycleId));
  const prevReport = previous?.report as
    { features?: string[]; standardization?: { mean: number[]; std: number[] } | null; nextIdNumber?: number } | undefined;
  const segStarted = Date.now();
  const { labels, summary } = segmentMatrix(
    { ids: features.customer_ids, features: names, data: matrix, values: monetary },
    {
      seed: state.settings.segmentation.seed,
      kMin: state.settings.segmentation.kMin,
      kMax: state.settings.segmentation.kMax,
      monetaryFeature: "monetary",
    },
    previous && prevReport?.features && JSON.stringify(prevReport.features) === JSON.stringify(names)
      ? {
          features: names,
          segments: previous.segments.map((s) => ({ id: s.segmentId, centroid: s.centroid as number[] })),
          assignments: Object.fromEntries(previous.memberships),
          nextIdNumber: prevReport.nextIdNumber,
          standardization: prevReport.standardization ?? null,
        }
      : null,
  );
  const segmentMs = Date.now() - segStarted;

  const segIds = Array.from(labels, (l) => summary.segments[l]!.id);
  const outliers = new Set(summary.density.outliers.ids);
  const chosen = summary.selection.candidates.find((c) => c.k === summary.k);
  const runId = segmentRunId(cycleId);
  await saveSegmentRun(
    deps.db,
    {
      runId,
      asOf,
      k: summary.k,
      silhouette: chosen?.silhouette ?? null,
      daviesBouldin: chosen?.daviesBouldin ?? null,
      params: { features: names, seed: state.settings.segmentation.seed },
      report: {
        features: names,
        standardization: summary.standardization,
        nextIdNumber: summary.identity.nextIdNumber,
        identity: { ...summary.identity, transitions: null },
        density: { ...summary.density, outliers: { ...summary.density.outliers, ids: summary.density.outliers.ids.slice(0, 100) } },
      },
    },
    summary.segments.map((s) => ({
      segmentId: s.id,
      name: s.name,
      size: s.size,
      centroid: s.centroid,
      profile: { share: s.share, valueShare: s.valueShare, meanZ: s.meanZ, topFeatures: s.topFeatures, archetype: s.archetype },
    })),
    { customerIds: features.customer_ids, segmentIds: segIds, outliers },
  );
  await saveScores(
    deps.db,
    { runId: `${cycleId}.fatigue`, model: "fatigue", version: "fatigue/1", asOf },
    {
      customerIds: features.customer_ids,
      values: fatigue.map((f) => f.fatigue),
      details: fatigue.map((f) => ({ strategy: f.strategy, allowedChannels: f.allowedChannels, engagement: f.engagement })),
    },
  );

  if (finish) {
    data = await finish();
    deps.memo.keep(cycleId, data);
  }
  const cycle = data!;

  // The tool calls in the order they were made.
  await auditToolCall(
    deps,
    cycleId,
    "features",
    { asOf: state.asOf, customers: n },
    { digest: digestBuffer(features.values) },
    `${FEATURE_COUNT} features for ${n} customers as of ${state.asOf}`,
  );
  await auditToolCall(
    deps,
    cycleId,
    "fatigue",
    { asOf: state.asOf, customers: n },
    { cooldown: fatigue.filter((f) => f.strategy === "cooldown").length },
    `fatigue and engagement per channel; ${fatigue.filter((f) => f.strategy === "cooldown").length} customers above the cool-down threshold`,
  );
  await auditToolCall(
    deps,
    cycleId,
    "clv",
    { asOf: state.asOf, customers: n },
    { digest: digestBuffer(cycle.clv.map((c) => c.clv)) },
    `BG/NBD + Gamma-Gamma CLV and P(alive) for ${n} customers`,
  );
  await auditToolCall(
    deps,
    cycleId,
    "churn",
    { asOf: state.asOf, horizonDays: 90 },
    { auc: cycle.churnAuc },
    `churn model on a 90-day time split, AUC ${cycle.churnAuc?.toFixed(3) ?? "n/a"}`,
  );
  await auditToolCall(
    deps,
    cycleId,
    "segment",
    { features: names, customers: n, previousRun: previous?.runId ?? null },
    { k: summary.k, segments: summary.segments.map((s) => [s.id, s.name, s.size]) },
    `k-means chose k=${summary.k} (silhouette ${summary.selection.candidates.find((c) => c.k === summary.k)?.silhouette?.toFixed(3) ?? "?"}); ${summary.identity.births.length} new, ${summary.identity.deaths.length} retired segments`,
    segmentMs,
  );

  await saveScores(
    deps.db,
    { runId: `${cycleId}.clv`, model: "clv", version: "bgnbd-gg/1", asOf },
    {
      customerIds: features.customer_ids,
      values: cycle.clv.map((c) => c.clv),
      details: cycle.clv.map((c) => ({ pAlive: c.pAlive, expectedPurchases52w: c.expectedPurchases })),
    },
  );
  await saveScores(
    deps.db,
    { runId: `${cycleId}.churn`, model: "churn", version: "logit-90d/1", asOf, metrics: { auc: cycle.churnAuc } },
    { customerIds: features.customer_ids, values: cycle.churn },
  );

  const explained = await explainSegments(
    summary.segments.map((s) => ({
      segmentId: s.id,
      name: s.name,
      size: s.size,
      share: s.share,
      valueShare: s.valueShare,
      topFeatures: s.topFeatures,
    })),
    { llm: llm.client },
  );
  await auditAgentDecision(
    deps,
    cycleId,
    "segmentation-analyst",
    `descriptions of ${summary.segments.length} segments`,
    explained.provenance,
  );
  const description = new Map(explained.segments.map((s) => [s.segmentId, s.description]));

  await deps.audit.appendMany(
    cycle.customers.map((c, i) => ({
      kind: "segment_assignment" as const,
      actor: deps.actor,
      cycleId,
      customerId: c.customer_id,
      entry: {
        runId,
        segmentId: segIds[i]!,
        segmentName: summary.segments[labels[i]!]!.name,
        isOutlier: outliers.has(c.customer_id),
        scores: { clv: round(cycle.clv[i]!.clv), churn: round(cycle.churn[i]!), fatigue: round(cycle.fatigue[i]!.fatigue) },
      },
    })),
  );

  return {
    status: "refreshed",
    agents: { ...state.agents, "segmentation-analyst": explained.provenance },
    refresh: {
      segmentRunId: runId,
      customers: n,
      k: summary.k,
      silhouette: chosen?.silhouette ?? null,
      daviesBouldin: chosen?.daviesBouldin ?? null,
      segments: summary.segments.map((s) => ({
        segmentId: s.id,
        name: s.name,
        size: s.size,
        share: s.share,
        valueShare: s.valueShare,
        description: description.get(s.id) ?? "",
        traits: s.topFeatures.slice(0, 3).map((f) => `${f.feature} ${f.direction} (${f.z.toFixed(1)})`),
        archetype: archetypeOf(s.archetype),
      })),
      identity: {
        matched: summary.identity.matched.length,
        births: summary.identity.births,
        deaths: summary.identity.deaths.map((d) => d.id),
        stability: summary.identity.stability,
      },
      outliers: summary.density.outliers.estimatedTotal,
      churnAuc: cycle.churnAuc,
      seconds: (Date.now() - started) / 1000,
    },
    llm: llm.usage(),
  };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
