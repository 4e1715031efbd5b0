import { createHash } from "node:crypto";
import type { NewAuditEntry } from "../../../guardrails/audit-entries.js";
import type { PreviousRun, SegmentRecord } from "../../../store/segments-repo.js";
import { signedLog1p } from "../../../tools/features-standardize.js";
import { FEATURE_COUNT, type FeatureMatrix } from "../../../tools/features.js";
import { migrationSummary, type IdentityReport, type PreviousSegmentation } from "../../../tools/segment-identity.js";
import { ARCHETYPE_NAMES, type ArchetypeName } from "../../../tools/segment-naming.js";
import { segmentMatrix, type SegmentationResult } from "../../../tools/segment.js";
import { toolCallEntry } from "../audit-helpers.js";
import { engagementRecord, featureIndex, type CycleData, type FatigueColumns } from "../cycle-data.js";
import type { CycleSettings } from "../settings.js";
import type { CycleState } from "../state.js";

/**
 * The refresh node's pure steps: the segmentation matrix from the feature matrix, segmentation with
 * identities carried over, the rows the store saves, the audit entries and the state summary. No
 * database, no clock: the node loads, calls these, saves and audits.
 */

/** Money and count features are clustered on a log scale so a few big spenders don't make their own segments. */
export const LOG_SCALE: ReadonlySet<string> = new Set([
  "recency_days",
  "frequency",
  "monetary",
  "aov",
  "tenure_days",
  "overdue_ratio",
  "days_since_engagement",
  "mean_interpurchase_days",
]);

/** The chosen feature columns, row-major (log-scaled where LOG_SCALE says), and each customer's raw monetary value. */
export function segmentationColumns(features: FeatureMatrix, names: readonly string[]): { data: Float64Array; monetary: Float64Array } {
  const n = features.customer_ids.length;
  const cols = names.map(featureIndex);
  const logged = names.map((name) => LOG_SCALE.has(name));
  const d = cols.length;
  const data = new Float64Array(n * d);
  const monetary = new Float64Array(n);
  const m = featureIndex("monetary");
  const v = features.values;
  for (let i = 0; i < n; i++) {
    const row = i * FEATURE_COUNT;
    for (let j = 0; j < d; j++) {
      const x = v[row + cols[j]!]!;
      data[i * d + j] = logged[j] ? signedLog1p(x) : x;
    }
    monetary[i] = v[row + m]!;
  }
  return { data, monetary };
}

interface PreviousReport {
  features?: string[];
  standardization?: { mean: number[]; std: number[] } | null;
  nextIdNumber?: number;
}

/** The previous run as segmentation's identity input, when it clustered the same features (else none). */
export function previousSegmentation(previous: PreviousRun | undefined, names: readonly string[]): PreviousSegmentation | null {
  const report = previous?.report as PreviousReport | undefined;
  if (!previous || !report?.features || JSON.stringify(report.features) !== JSON.stringify(names)) return null;
  return {
    features: names,
    segments: previous.segments.map((s) => ({ id: s.segmentId, centroid: s.centroid as number[] })),
    assignments: previous.memberships,
    nextIdNumber: report.nextIdNumber,
    standardization: report.standardization ?? null,
  };
}

export interface Segmentation extends SegmentationResult {
  /** Segment id of every customer, by position. */
  segmentIds: string[];
  outliers: Set<string>;
  chosen: { silhouette: number; daviesBouldin: number } | undefined;
  ms: number;
}

/** k-means with automatic k over the settings' features, identities carried over from `previous`. */
export function segmentCustomers(
  features: FeatureMatrix,
  settings: Pick<CycleSettings, "segmentFeatures" | "segmentation">,
  previous: PreviousSegmentation | null,
  now: () => number = Date.now,
): Segmentation {
  const started = now();
  const names = settings.segmentFeatures;
  const { data, monetary } = segmentationColumns(features, names);
  const result = segmentMatrix(
    { ids: features.customer_ids, features: names, data, values: monetary },
    { seed: settings.segmentation.seed, kMin: settings.segmentation.kMin, kMax: settings.segmentation.kMax, monetaryFeature: "monetary" },
    previous,
  );
  const { labels, summary } = result;
  return {
    ...result,
    segmentIds: Array.from(labels, (l) => summary.segments[l]!.id),
    outliers: new Set(summary.density.outliers.ids),
    chosen: summary.selection.candidates.find((c) => c.k === summary.k),
    ms: now() - started,
  };
}

/** The segment run's row and its segments' rows, as the store saves them. */
export function segmentRunRecords(
  runId: string,
  asOf: Date,
  seg: Segmentation,
  settings: Pick<CycleSettings, "segmentFeatures" | "segmentation">,
): {
  run: { runId: string; asOf: Date; k: number; silhouette: number | null; daviesBouldin: number | null; params: unknown; report: unknown };
  segments: SegmentRecord[];
} {
  const { summary } = seg;
  const names = settings.segmentFeatures;
  return {
    run: {
      runId,
      asOf,
      k: summary.k,
      silhouette: seg.chosen?.silhouette ?? null,
      daviesBouldin: seg.chosen?.daviesBouldin ?? null,
      params: { features: names, seed: settings.segmentation.seed },
      report: {
        features: names,
        standardization: summary.standardization,
        nextIdNumber: summary.identity.nextIdNumber,
        identity: { ...summary.identity, transitions: null },
        density: { ...summary.density, outliers: { ...summary.density.outliers, ids: summary.density.outliers.ids.slice(0, 100) } },
      },
    },
    segments: summary.segments.map((s) => ({
      segmentId: s.id,
      name: s.name,
      size: s.size,
      centroid: s.centroid,
      profile: { share: s.share, valueShare: s.valueShare, meanZ: s.meanZ, topFeatures: s.topFeatures, archetype: s.archetype },
    })),
  };
}

/** Fatigue scores as the store saves them: the score and, per customer, its strategy, channels and engagement. */
export function fatigueScoreRows(f: FatigueColumns): { values: Float64Array; details: unknown[] } {
  return {
    values: f.score,
    details: f.strategy.map((strategy, i) => ({ strategy, allowedChannels: f.allowedChannels[i], engagement: engagementRecord(f, i) })),
  };
}

/** SHA-256 of numbers as float64 bytes: a digest of a whole score column for the audit log. */
export function digestNumbers(a: ArrayLike<number>): string {
  const bytes = a instanceof Float64Array ? a : Float64Array.from(a);
  return createHash("sha256")
    .update(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength))
    .digest("hex");
}

/** The refresh's deterministic tool calls, in the order they were made. */
export function refreshToolCalls(
  actor: string,
  cycleId: string,
  asOf: string,
  data: CycleData,
  seg: Segmentation,
  settings: Pick<CycleSettings, "segmentFeatures">,
  previousRunId: string | null,
): NewAuditEntry[] {
  const n = data.customerIds.length;
  const { summary } = seg;
  const cooldown = data.fatigue.strategy.filter((s) => s === "cooldown").length;
  return [
    toolCallEntry(
      actor,
      cycleId,
      "features",
      { asOf, customers: n },
      { digest: digestNumbers(data.features.values) },
      `${FEATURE_COUNT} features for ${n} customers as of ${asOf}`,
    ),
    toolCallEntry(
      actor,
      cycleId,
      "fatigue",
      { asOf, customers: n },
      { cooldown },
      `fatigue and engagement per channel; ${cooldown} customers above the cool-down threshold`,
    ),
    toolCallEntry(
      actor,
      cycleId,
      "clv",
      { asOf, customers: n },
      { digest: digestNumbers(data.clv.clv) },
      `BG/NBD + Gamma-Gamma CLV and P(alive) for ${n} customers`,
    ),
    toolCallEntry(
      actor,
      cycleId,
      "churn",
      { asOf, horizonDays: 90 },
      { auc: data.churnAuc },
      `churn model on a 90-day time split, AUC ${data.churnAuc?.toFixed(3) ?? "n/a"}`,
    ),
    toolCallEntry(
      actor,
      cycleId,
      "segment",
      { features: settings.segmentFeatures, customers: n, previousRun: previousRunId },
      { k: summary.k, segments: summary.segments.map((s) => [s.id, s.name, s.size]) },
      `k-means chose k=${summary.k} (silhouette ${seg.chosen?.silhouette?.toFixed(3) ?? "?"}); ${summary.identity.births.length} new, ${summary.identity.deaths.length} retired segments`,
      seg.ms,
    ),
  ];
}

const round4 = (x: number) => Math.round(x * 1e4) / 1e4;

/**
 * Each customer's segment assignment with its scores, `chunk` entries at a time (positions
 * [from, from + chunk) per batch), so a million entries are never built at once.
 */
export function* segmentAssignmentBatches(
  actor: string,
  cycleId: string,
  runId: string,
  data: CycleData,
  seg: Segmentation,
  chunk = 25_000,
): Generator<NewAuditEntry[]> {
  const n = data.customerIds.length;
  for (let from = 0; from < n; from += chunk) {
    const batch: NewAuditEntry[] = [];
    for (let i = from; i < Math.min(n, from + chunk); i++) {
      const customerId = data.customerIds[i]!;
      batch.push({
        kind: "segment_assignment",
        actor,
        cycleId,
        customerId,
        entry: {
          runId,
          segmentId: seg.segmentIds[i]!,
          segmentName: seg.summary.segments[seg.labels[i]!]!.name,
          isOutlier: seg.outliers.has(customerId),
          scores: { clv: round4(data.clv.clv[i]!), churn: round4(data.churn[i]!), fatigue: round4(data.fatigue.score[i]!) },
        },
      });
    }
    yield batch;
  }
}

/** The segment tool's archetype as the naming tool's type (null for a descriptive name). */
export const archetypeOf = (a: string | null): ArchetypeName | null =>
  (ARCHETYPE_NAMES as readonly string[]).includes(a ?? "") ? (a as ArchetypeName) : null;

/** The migrations since the last run, as the state's optional field (absent on a first run). */
function migrationsOf(transitions: IdentityReport["transitions"]) {
  const migrations = migrationSummary(transitions);
  return migrations ? { migrations } : {};
}

/** The refresh's summary in the graph state. */
export function refreshSummary(
  runId: string,
  n: number,
  seg: Segmentation,
  descriptions: ReadonlyMap<string, string>,
  churnAuc: number | null,
  seconds: number,
  phases: Record<string, number>,
): NonNullable<CycleState["refresh"]> {
  const { summary } = seg;
  return {
    segmentRunId: runId,
    customers: n,
    k: summary.k,
    silhouette: seg.chosen?.silhouette ?? null,
    daviesBouldin: seg.chosen?.daviesBouldin ?? null,
    segments: summary.segments.map((s) => ({
      segmentId: s.id,
      name: s.name,
      size: s.size,
      share: s.share,
      valueShare: s.valueShare,
      description: descriptions.get(s.id) ?? "",
      traits: s.topFeatures.slice(0, 3).map((f) => `${f.feature} ${f.direction} (${f.z.toFixed(1)})`),
      archetype: archetypeOf(s.archetype),
    })),
    identity: {
      matched: summary.identity.matched.length,
      births: summary.identity.births,
      deaths: summary.identity.deaths.map((d) => d.id),
      stability: summary.identity.stability,
      ...migrationsOf(summary.identity.transitions),
    },
    outliers: summary.density.outliers.estimatedTotal,
    churnAuc,
    seconds,
    phases,
  };
}

/** Wall seconds per named phase, in the order they ended. */
export function phaseClock(now: () => number = () => performance.now()): { mark(phase: string): void; seconds(): Record<string, number> } {
  let last = now();
  const out: Record<string, number> = {};
  return {
    mark(phase) {
      const t = now();
      out[phase] = Math.round((out[phase] ?? 0) * 1000 + (t - last)) / 1000;
      last = t;
    },
    seconds: () => ({ ...out }),
  };
}
