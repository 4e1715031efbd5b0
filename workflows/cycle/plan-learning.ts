import type { Strategy } from "../../core/domain.js";
import { banditPolicy, type BanditPolicy } from "../../tools/bandit.js";
import { accumulateUpliftEvidence, type EvidenceReadout } from "../../tools/uplift-evidence.js";
import type { UpliftFn } from "./planning.js";

/**
 * Pure: what planning learns from its own randomized evidence.
 *
 * Uplift: every past readout (a cycle's treated vs held-out conversions for one segment × strategy ×
 * channel × offer depth, with the mean uplift the prior predicted for those customers) is pooled
 * with a decay by tools/uplift-evidence.ts and compared with the prior's prediction for the same
 * customers. Their ratio calibrates the prior, customer by customer: the prior keeps ranking
 * customers (who is overdue, discount-driven, engaged on the channel), the evidence sets the level.
 * The most specific pool whose evidence outweighs the prior decides, from segment × strategy ×
 * channel × depth down to strategy alone; with none, the prior. Every option says which.
 *
 * Offers: a bandit per segment × strategy over the offer depths, its arms valued by the margin
 * rate left after the discount, its posteriors seeded by the calibrated model and updated by the
 * treated customers' conversions at each depth.
 */

export interface Readout {
  segmentId: string;
  strategy: string;
  channel: string;
  offerDepth: number;
  measuredAt: number;
  treated: number;
  treatedConversions: number;
  holdout: number;
  holdoutConversions: number;
  /** Mean prior uplift of the customers measured (null: unknown, the readout cannot calibrate). */
  meanPrior: number | null;
}

export interface UpliftCalibration {
  /** Multiplier on the prior, >= 0. */
  scale: number;
  source: "learned" | "prior";
  /** The pool whose evidence decided: "segment", "option", "strategy × channel", "strategy" or "prior". */
  level: "segment" | "option" | "strategy × channel" | "strategy" | "prior";
  reason: string;
}

const DAY_MS = 86_400_000;
/** The calibration never more than quintuples the prior (a thin pool's lucky readout). */
const MAX_SCALE = 5;

type Pool = { key: string; readouts: Readout[] };

function pools(readouts: readonly Readout[], keyOf: (r: Readout) => string): Map<string, Readout[]> {
  const out = new Map<string, Readout[]>();
  for (const r of readouts) {
    if (r.meanPrior === null || !Number.isFinite(r.meanPrior)) continue;
    const k = keyOf(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

/**
 * The evidence of one pool against the prior's prediction for the same customers, times
 * `priorScale` (what the broader pools already learned): precision-weighted, so thin evidence
 * leaves the broader estimate nearly unchanged.
 */
export function calibrate(
  pool: Pool,
  asOf: number,
  halfLifeDays: number,
  level: UpliftCalibration["level"],
  priorScale = 1,
): UpliftCalibration {
  let w = 0;
  let prior = 0;
  for (const r of pool.readouts) {
    const n = (r.treated + r.holdout) * 2 ** (-(asOf - r.measuredAt) / (halfLifeDays * DAY_MS));
    w += n;
    prior += n * r.meanPrior!;
  }
  const priorMean = w > 0 ? prior / w : 0;
  const priorUplift = priorMean * priorScale;
  // The prior is taken to be uncertain by its own size (and at least one point).
  const priorSd = Math.max(0.01, Math.abs(priorUplift));
  const readouts: EvidenceReadout[] = pool.readouts.map((r) => ({
    strategy: "pool",
    channel: "pool",
    offerDepth: 0,
    measuredAt: r.measuredAt,
    treated: r.treated,
    treatedConversions: r.treatedConversions,
    holdout: r.holdout,
    holdoutConversions: r.holdoutConversions,
  }));
  const [e] = accumulateUpliftEvidence({
    readouts,
    options: [{ strategy: "pool", channel: "pool", offerDepth: 0, priorUplift, priorSd }],
    asOf,
    halfLifeDays,
  });
  const scale = priorMean > 1e-6 ? Math.min(MAX_SCALE, Math.max(0, e!.uplift / priorMean)) : priorScale;
  return {
    scale,
    source: e!.source,
    level: e!.source === "learned" ? level : "prior",
    reason: `${level} ${pool.key}: ${e!.reason}; prior × ${scale.toFixed(2)}`,
  };
}

export interface LearnedUplift {
  fn: UpliftFn;
  /** How the uplift of (segment, strategy, channel, depth) was set. */
  calibration(segmentId: string, strategy: Strategy, channel: string, offerDepth: number): UpliftCalibration;
}

const depthKey = (d: number) => d.toFixed(4);

/** The prior calibrated by the accumulated readouts; `segmentOf(i)` is customer i's segment. */
export function learnedUplift(
  prior: UpliftFn,
  segmentOf: (i: number) => string,
  readouts: readonly Readout[],
  asOf: number,
  halfLifeDays: number,
): LearnedUplift {
  const past = readouts.filter((r) => r.measuredAt <= asOf);
  const tiers: {
    level: UpliftCalibration["level"];
    pools: Map<string, Readout[]>;
    key: (s: string, st: string, c: string, d: number) => string;
  }[] = [
    {
      level: "segment",
      pools: pools(past, (r) => `${r.segmentId}|${r.strategy}|${r.channel}|${depthKey(r.offerDepth)}`),
      key: (s, st, c, d) => `${s}|${st}|${c}|${depthKey(d)}`,
    },
    {
      level: "option",
      pools: pools(past, (r) => `${r.strategy}|${r.channel}|${depthKey(r.offerDepth)}`),
      key: (_s, st, c, d) => `${st}|${c}|${depthKey(d)}`,
    },
    { level: "strategy × channel", pools: pools(past, (r) => `${r.strategy}|${r.channel}`), key: (_s, st, c) => `${st}|${c}` },
    { level: "strategy", pools: pools(past, (r) => r.strategy), key: (_s, st) => st },
  ];
  const memo = new Map<string, UpliftCalibration>();
  const calibration = (segmentId: string, strategy: Strategy, channel: string, offerDepth: number): UpliftCalibration => {
    const k = `${segmentId}|${strategy}|${channel}|${depthKey(offerDepth)}`;
    let c = memo.get(k);
    if (c) return c;
    // From the broadest pool to the most specific, each pool's estimate the next one's prior.
    let scale = 1;
    let learnedAt: UpliftCalibration | null = null;
    const why: string[] = [];
    for (const t of [...tiers].reverse()) {
      const key = t.key(segmentId, strategy, channel, offerDepth);
      const readoutsOf = t.pools.get(key);
      if (!readoutsOf) continue;
      const cal = calibrate({ key, readouts: readoutsOf }, asOf, halfLifeDays, t.level, scale);
      scale = cal.scale;
      why.push(cal.reason);
      if (cal.source === "learned") learnedAt = cal;
    }
    c = learnedAt
      ? { scale, source: "learned", level: learnedAt.level, reason: why.join(" | ") }
      : {
          scale,
          source: "prior",
          level: "prior",
          reason: why.length
            ? `evidence still outweighed by the prior: ${why.join(" | ")}`
            : "no randomised evidence for this option yet: prior",
        };
    memo.set(k, c);
    return c;
  };
  // fn is asked for every customer × option: its scales by segment, strategy, channel and depth as
  // given, in nested maps (no key string to build and no depth to format per call).
  const scales = new Map<string, Map<string, Map<string, Map<number, number>>>>();
  const scaleOf = (segmentId: string, strategy: Strategy, channel: string, offerDepth: number): number => {
    let byStrategy = scales.get(segmentId);
    if (!byStrategy) scales.set(segmentId, (byStrategy = new Map()));
    let byChannel = byStrategy.get(strategy);
    if (!byChannel) byStrategy.set(strategy, (byChannel = new Map()));
    let byDepth = byChannel.get(channel);
    if (!byDepth) byChannel.set(channel, (byDepth = new Map()));
    let scale = byDepth.get(offerDepth);
    if (scale === undefined) byDepth.set(offerDepth, (scale = calibration(segmentId, strategy, channel, offerDepth).scale));
    return scale;
  };
  return {
    fn: (i, strategy, channel, offerDepth) => {
      const p = prior(i, strategy, channel, offerDepth);
      // A sleeping dog stays one: the calibration scales helpful uplift, it never flips a harmful one.
      return p > 0 ? p * scaleOf(segmentOf(i), strategy, channel, offerDepth) : p;
    },
    calibration,
  };
}

// --- the offer bandit ------------------------------------------------------------------------

export interface OfferArm {
  offerDepth: number;
  /** The model's expected conversion rate of a treated customer at this depth (baseline + uplift). */
  predictedRate: number;
  /** Margin rate left after the discount: what a conversion at this depth is worth, relative. */
  value: number;
}

export interface OfferBandit {
  key: string;
  policy: BanditPolicy;
  arms: (OfferArm & { armId: string; observedTreated: number; observedConversions: number })[];
}

export const armIdOf = (offerDepth: number) => `offer-${Math.round(offerDepth * 100)}`;

/**
 * The bandit over offer depths for one segment × strategy: each arm's Beta posterior starts at the
 * model's predicted rate with `priorWeight` pseudo-customers and adds the treated customers' decayed
 * conversions at that depth; arms are ranked on rate × value; exploration is capped.
 */
export function offerBandit(input: {
  key: string;
  segmentId: string;
  strategy: string;
  arms: readonly OfferArm[];
  readouts: readonly Readout[];
  asOf: number;
  halfLifeDays: number;
  options: { maxExplore: number; minPropensity: number; priorWeight: number };
}): OfferBandit | null {
  const arms = input.arms.filter((a) => a.value > 0.005);
  if (arms.length === 0) return null;
  const observed = arms.map((a) => {
    let n = 0;
    let c = 0;
    for (const r of input.readouts) {
      if (r.segmentId !== input.segmentId || r.strategy !== input.strategy || Math.abs(r.offerDepth - a.offerDepth) > 1e-6) continue;
      if (r.measuredAt > input.asOf) continue;
      const w = 2 ** (-(input.asOf - r.measuredAt) / (input.halfLifeDays * DAY_MS));
      n += w * r.treated;
      c += w * Math.min(r.treatedConversions, r.treated);
    }
    return { n, c };
  });
  const minPropensity = arms.length > 1 ? Math.min(input.options.minPropensity, input.options.maxExplore / (arms.length - 1)) : 0;
  const policy = banditPolicy({
    arms: arms.map((a, k) => {
      const rate = Math.min(0.99, Math.max(0.001, a.predictedRate));
      return {
        armId: armIdOf(a.offerDepth),
        successes: input.options.priorWeight * rate + observed[k]!.c,
        failures: input.options.priorWeight * (1 - rate) + observed[k]!.n - observed[k]!.c,
        value: a.value,
      };
    }),
    options: { maxExplore: input.options.maxExplore, minPropensity, priorAlpha: 0.5, priorBeta: 0.5, gridPoints: 600 },
  });
  return {
    key: input.key,
    policy,
    arms: arms.map((a, k) => ({
      ...a,
      armId: armIdOf(a.offerDepth),
      observedTreated: observed[k]!.n,
      observedConversions: observed[k]!.c,
    })),
  };
}
