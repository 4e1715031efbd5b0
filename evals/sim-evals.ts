import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import type { Channel } from "../ingest/formats.js";
import { ARCHETYPES } from "../sim/archetypes.js";
import { groundTruth } from "../sim/ground-truth.js";
import { RESPONSE_WINDOW_DAYS, type Strategy } from "../sim/strategies.js";
import { auc, trainChurnModel, scoreChurn } from "../tools/churn.js";
import { DAY_MS, FEATURE_COUNT, FEATURE_NAMES, type FeatureName } from "../tools/features.js";
import { DEFAULT_LOG1P_FEATURES, signedLog1p } from "../tools/features-standardize.js";
import { segmentMatrix } from "../tools/segment.js";
import { adjustedRandIndex } from "../tools/segment-metrics.js";
import { fitLogistic, predictLinear } from "../tools/uplift-linear.js";
import { evaluateUplift } from "../tools/uplift-metrics.js";
import { predictUplift, trainUplift, type UpliftMethod } from "../tools/uplift.js";
import { spearman } from "./rank-correlation.js";
import { simulateWithFeatures, type SimHistoryFeatures } from "./sim-history-features.js";

/**
 * The decision tools against the simulator's ground truth (sim/ground-truth.ts), which the tools
 * themselves never see:
 * - segment recovery: features as of the end of history → segment tool (automatic k) → adjusted
 *   Rand index against the true archetypes;
 * - churn: trained on features at T − 90 d with "no purchase in [T − 90 d, T)" labels, AUC on a
 *   held-out half; the same model scoring features at T, AUC against the true "not alive" status;
 * - uplift: one randomised campaign (50% treated) stepped through the world, a T-learner (and
 *   X-learner) trained on features + observed purchase in the response window, ranked on a
 *   held-out half against the TRUE effect of the same message (Spearman) and on observed outcomes
 *   (Qini).
 * The uplift part steps the world forward, so it runs last.
 */

/**
 * Features the segment-recovery evaluation clusters on: purchase cadence and value (tenure,
 * frequency, recency, inter-purchase time, overdue ratio, 12-month spend, AOV), price behaviour
 * (discount share, margin rate) and engagement (e-mail open rate, days since engagement, site
 * events). Left out: category shares, day-parts and per-channel rates of SMS / push / in-app, which
 * the simulator draws independently of the archetype (they only add noise dimensions to k-means:
 * with all 47 features the ARI falls to about 0.1). Chosen by what the archetypes are defined by
 * (sim/archetypes.ts: rate, dropout, decay, signup, price position, margin, discount sensitivity,
 * open rates, browsing), not by searching subsets against the truth.
 */
export const SEGMENT_RECOVERY_FEATURES: readonly FeatureName[] = [
  "tenure_days",
  "frequency",
  "recency_days",
  "mean_interpurchase_days",
  "overdue_ratio",
  "monetary",
  "aov",
  "discount_share",
  "margin_rate",
  "open_rate_email",
  "days_since_engagement",
  "events_30d",
];

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
function normalQuantile(p: number): number {
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const tail = (q: number) =>
    (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  if (p < 0.02425) return tail(Math.sqrt(-2 * Math.log(p)));
  if (p > 1 - 0.02425) return -tail(Math.sqrt(-2 * Math.log(1 - p)));
  const q = p - 0.5;
  const r = q * q;
  return (
    ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
  );
}

/**
 * Rank-Gauss transform of one column: mid-rank → normal quantile. Many features are zero-inflated
 * and heavy-tailed (no purchase → aov 0, margin 0); ranks put every column on one scale without
 * letting a long tail or a spike at 0 dominate the k-means distances.
 */
export function rankGauss(values: ArrayLike<number>): Float64Array {
  const n = values.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((x, y) => values[x] - values[y]);
  const out = new Float64Array(n);
  let i = 0;
  while (i < n) {
    let j = i;
    while (j + 1 < n && values[order[j + 1]] === values[order[i]]) j++;
    const z = normalQuantile(((i + j) / 2 + 0.5) / n);
    for (let k = i; k <= j; k++) out[order[k]] = z;
    i = j + 1;
  }
  return out;
}

function column(features: Float64Array, n: number, name: FeatureName): Float64Array {
  const j = FEATURE_NAMES.indexOf(name);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = features[i * FEATURE_COUNT + j];
  return out;
}

/** Rows as plain arrays with DEFAULT_LOG1P_FEATURES log1p'd (what the linear learners take). */
function logRows(features: Float64Array, rows: readonly number[]): number[][] {
  const log = FEATURE_NAMES.map((f) => DEFAULT_LOG1P_FEATURES.includes(f));
  return rows.map((i) =>
    FEATURE_NAMES.map((_, j) => (log[j] ? signedLog1p(features[i * FEATURE_COUNT + j]) : features[i * FEATURE_COUNT + j])),
  );
}

/** Seeded half split of 0..n-1 into two index lists (each in increasing order). */
function halves(n: number, seed: number): { a: number[]; b: number[] } {
  const rng = xoroshiro128plus(seed);
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < n; i++) (uniformFloat64(rng) < 0.5 ? a : b).push(i);
  return { a, b };
}

export interface SegmentRecoveryResult {
  customers: number;
  features: string[];
  transform: string;
  k: number;
  ari: number;
  /** The segment tool's usual input for comparison: all FEATURE_NAMES, log1p + z-score. */
  allFeaturesK: number;
  allFeaturesAri: number;
  /**
   * Separability ceiling: a one-vs-rest logistic classifier trained on half the TRUE labels (same
   * features), ARI of its predictions on the other half. Not something Pulse could do; it shows how
   * much archetype signal the observable features carry at all.
   */
  supervisedCeilingAri: number;
  ms: number;
}

export function evaluateSegmentRecovery(sim: SimHistoryFeatures, seed: number): SegmentRecoveryResult {
  const started = performance.now();
  const n = sim.ids.length;
  const gt = groundTruth(sim.world);
  const truth = sim.ids.map((id) => ARCHETYPES.indexOf(gt.archetype(id)));

  const features = SEGMENT_RECOVERY_FEATURES;
  const d = features.length;
  const data = new Float64Array(n * d);
  features.forEach((f, j) => {
    const z = rankGauss(column(sim.featuresNow, n, f));
    for (let i = 0; i < n; i++) data[i * d + j] = z[i];
  });
  const chosen = segmentMatrix({ ids: sim.ids, features, data }, { seed, dbscan: { enabled: false } });

  const log = FEATURE_NAMES.map((f) => DEFAULT_LOG1P_FEATURES.includes(f));
  const all = new Float64Array(sim.featuresNow.length);
  for (let i = 0; i < all.length; i++) {
    const j = i % FEATURE_COUNT;
    all[i] = log[j] ? signedLog1p(sim.featuresNow[i]) : sim.featuresNow[i];
  }
  const allFit = segmentMatrix({ ids: sim.ids, features: FEATURE_NAMES, data: all }, { seed, dbscan: { enabled: false } });

  // Ceiling: capped at 20,000 training rows, which is plenty for 12 coefficients.
  const split = halves(n, seed + 1);
  const train = split.a.slice(0, 20_000);
  const rowOf = (i: number) => Array.from(data.subarray(i * d, i * d + d));
  const Xtrain = train.map(rowOf);
  const Xtest = split.b.map(rowOf);
  const scores = ARCHETYPES.map((_, a) =>
    predictLinear(
      fitLogistic(
        Xtrain,
        train.map((i) => (truth[i] === a ? 1 : 0)),
        { l2: 1 },
      ),
      Xtest,
    ),
  );
  const predicted = Xtest.map((_, r) => {
    let best = 0;
    for (let a = 1; a < ARCHETYPES.length; a++) if (scores[a][r] > scores[best][r]) best = a;
    return best;
  });

  return {
    customers: n,
    features: [...features],
    transform: "rank-gauss per feature, then the segment tool's z-score",
    k: chosen.summary.k,
    ari: adjustedRandIndex(chosen.labels, truth),
    allFeaturesK: allFit.summary.k,
    allFeaturesAri: adjustedRandIndex(allFit.labels, truth),
    supervisedCeilingAri: adjustedRandIndex(
      predicted,
      split.b.map((i) => truth[i]),
    ),
    ms: performance.now() - started,
  };
}

export interface SimChurnResult {
  /** Customers with a purchase before the cutoff (the churn population). */
  population: number;
  churnRate: number;
  horizonDays: number;
  /** Held-out half, labels from [cutoff, end of history). */
  auc: number;
  /** Baseline: recency at the cutoff alone. */
  recencyAuc: number;
  /** Model scoring features at the end of history vs the true "not alive" status then. */
  aliveAuc: number;
  /** Customers with a purchase before the end of history; share of them truly not alive. */
  alivePopulation: number;
  deadShare: number;
  ms: number;
}

export function evaluateSimChurn(sim: SimHistoryFeatures, seed: number): SimChurnResult {
  const started = performance.now();
  const n = sim.ids.length;
  const horizonDays = Math.round((sim.historyEnd - sim.cutoff) / DAY_MS);
  const population = Array.from({ length: n }, (_, i) => i).filter((i) => sim.boughtBeforeCutoff[i] === 1);
  const labelOf = (i: number) => (sim.boughtAfterCutoff[i] === 1 ? 0 : 1);
  const { a: trainIdx, b: testIdx } = halves(population.length, seed + 2);
  const train = trainIdx.map((r) => population[r]);
  const test = testIdx.map((r) => population[r]);
  const model = trainChurnModel({
    features: rawRows(sim.featuresAtCutoff, train),
    labels: train.map(labelOf),
    seed,
    horizonDays,
  });
  const testLabels = test.map(labelOf);
  const testAuc = auc(scoreChurn(model, rawRows(sim.featuresAtCutoff, test)), testLabels);
  const recency = column(sim.featuresAtCutoff, n, "recency_days");
  const recencyAuc = auc(
    test.map((i) => recency[i]),
    testLabels,
  );

  const gt = groundTruth(sim.world);
  const buyers = Array.from({ length: n }, (_, i) => i).filter((i) => sim.boughtBeforeCutoff[i] === 1 || sim.boughtAfterCutoff[i] === 1);
  const dead = buyers.map((i) => (gt.isAlive(sim.ids[i]) ? 0 : 1));
  const aliveAuc = auc(scoreChurn(model, rawRows(sim.featuresNow, buyers)), dead);
  return {
    population: population.length,
    churnRate: population.reduce((s, i) => s + labelOf(i), 0) / Math.max(population.length, 1),
    horizonDays,
    auc: testAuc,
    recencyAuc,
    aliveAuc,
    alivePopulation: buyers.length,
    deadShare: dead.reduce((s: number, v) => s + v, 0) / Math.max(buyers.length, 1),
    ms: performance.now() - started,
  };
}

/** Raw feature rows (the churn model applies its own log1p + z-score). */
function rawRows(features: Float64Array, rows: readonly number[]): Float64Array[] {
  return rows.map((i) => features.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
}

export interface SimTreatment {
  strategy: Strategy;
  channel: Channel;
  offerDepth: number;
}

export const DEFAULT_SIM_TREATMENT: SimTreatment = { strategy: "targeted_promo", channel: "email", offerDepth: 0.15 };

export interface SimUpliftMethodResult {
  name: string;
  /** Spearman correlation of the ranking with the TRUE effect, held-out half. */
  spearmanTruth: number;
  /** Share of the total TRUE effect held by the top 30% of the ranking. */
  trueEffectKeptTop30: number;
  /** Qini of the ranking on observed outcomes, held-out half. */
  qini: number;
  keptTop30: number;
}

export interface SimUpliftResult {
  treatment: SimTreatment;
  customers: number;
  treated: number;
  windowDays: number;
  /** Mean TRUE effect over all customers (0 for those without consent on the channel). */
  meanTrueEffect: number;
  /** Treated minus control purchase rate in the window, all customers. */
  observedEffect: number;
  /** Share of customers the true effect says contact would harm. */
  harmedShare: number;
  methods: SimUpliftMethodResult[];
  ms: number;
}

export function evaluateSimUplift(sim: SimHistoryFeatures, seed: number, treatment: SimTreatment = DEFAULT_SIM_TREATMENT): SimUpliftResult {
  const started = performance.now();
  const n = sim.ids.length;
  const world = sim.world;
  const gt = groundTruth(world);
  const now = world.now;
  const truth = sim.ids.map((customerId) => gt.effect({ customerId, ...treatment, at: now }).effect);

  const rng = xoroshiro128plus(seed + 3);
  const treated = sim.ids.map(() => uniformFloat64(rng) < 0.5);
  const messages = sim.ids.flatMap((customerId, i) =>
    treated[i] ? [{ messageId: `eval-${seed}-${customerId}`, customerId, ...treatment, sentAt: now, campaignId: `eval-${seed}` }] : [],
  );
  const step = world.step({ to: new Date(now.getTime() + RESPONSE_WINDOW_DAYS * DAY_MS), messages });
  const index = new Map(sim.ids.map((id, i) => [id, i]));
  const outcome = new Array<number>(n).fill(0);
  for (const o of step.orders) {
    const i = index.get(o.customer_id);
    if (i !== undefined && o.status !== "cancelled") outcome[i] = 1;
  }

  const { a: trainIdx, b: testIdx } = halves(n, seed + 4);
  const Xtrain = logRows(sim.featuresNow, trainIdx);
  const Xtest = logRows(sim.featuresNow, testIdx);
  const rows = trainIdx.map((i, r) => ({ features: Xtrain[r], treated: treated[i], outcome: outcome[i] }));
  const testTreated = testIdx.map((i) => treated[i]);
  const testOutcome = testIdx.map((i) => outcome[i]);
  const testTruth = testIdx.map((i) => truth[i]);
  const totalTruth = testTruth.reduce((s, v) => s + v, 0);
  const keptTruth = (scores: readonly number[]) => {
    const order = scores.map((_, r) => r).sort((x, y) => scores[y] - scores[x] || x - y);
    let s = 0;
    for (let r = 0; r < Math.round(0.3 * order.length); r++) s += testTruth[order[r]];
    return totalTruth !== 0 ? s / totalTruth : Number.NaN;
  };
  const score = (name: string, scores: number[]): SimUpliftMethodResult => {
    const e = evaluateUplift(scores, testTreated, testOutcome, [0.3]);
    return {
      name,
      spearmanTruth: spearman(scores, testTruth),
      trueEffectKeptTop30: keptTruth(scores),
      qini: e.qini,
      keptTop30: e.kept.top30,
    };
  };

  const methods: SimUpliftMethodResult[] = [];
  for (const method of ["t-learner", "x-learner"] as const satisfies readonly UpliftMethod[]) {
    methods.push(score(method, predictUplift(trainUplift({ rows, method, seed }), Xtest)));
  }
  methods.push(
    score(
      "response",
      predictLinear(
        fitLogistic(
          Xtrain,
          trainIdx.map((i) => outcome[i]),
          { l2: 1 },
        ),
        Xtest,
      ),
    ),
  );
  const noise = xoroshiro128plus(seed + 5);
  methods.push(
    score(
      "random",
      testIdx.map(() => uniformFloat64(noise)),
    ),
  );
  methods.push(score("true effect (oracle)", testTruth));

  const mean = (arm: boolean) => {
    let s = 0;
    let c = 0;
    for (let i = 0; i < n; i++) {
      if (treated[i] !== arm) continue;
      s += outcome[i];
      c++;
    }
    return s / Math.max(c, 1);
  };
  return {
    treatment,
    customers: n,
    treated: messages.length,
    windowDays: RESPONSE_WINDOW_DAYS,
    meanTrueEffect: truth.reduce((s, v) => s + v, 0) / n,
    observedEffect: mean(true) - mean(false),
    harmedShare: truth.filter((v) => v < 0).length / n,
    methods,
    ms: performance.now() - started,
  };
}

export interface SimulatorEvaluation {
  customers: number;
  seed: number;
  simulateMs: number;
  segments: SegmentRecoveryResult;
  churn: SimChurnResult;
  uplift: SimUpliftResult;
  totalMs: number;
}

export async function evaluateSimulator(options: {
  customers: number;
  seed: number;
  treatment?: SimTreatment;
}): Promise<SimulatorEvaluation> {
  const started = performance.now();
  const sim = await simulateWithFeatures({ customers: options.customers, seed: options.seed });
  const segments = evaluateSegmentRecovery(sim, options.seed);
  const churn = evaluateSimChurn(sim, options.seed);
  const uplift = evaluateSimUplift(sim, options.seed, options.treatment);
  return {
    customers: options.customers,
    seed: options.seed,
    simulateMs: sim.elapsedMs,
    segments,
    churn,
    uplift,
    totalMs: performance.now() - started,
  };
}
