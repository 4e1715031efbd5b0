import type { StructuredToolInterface } from "@langchain/core/tools";
import { z } from "zod";
import { defineTool, toLangChainTool } from "./define-tool.js";
import { checkSampleRatio, sampleRatioOutputSchema } from "./holdout.js";
import { normalQuantile, studentTQuantile } from "./holdout-distributions.js";

/**
 * Incremental lift per group (segment × strategy): treated minus holdout for conversion, revenue and
 * margin per customer and unsubscribe rate, with confidence intervals, relative lift, the sample-ratio
 * check, and optionally CUPED, which regresses out a pre-period covariate to narrow the intervals.
 *
 * Proportions use Newcombe's hybrid score interval (method 10, built from Wilson intervals), which
 * keeps its coverage at small rates where the Wald interval does not. Means use Welch's t interval.
 * CUPED: Y' = Y − θ(X − mean X), θ = cov(X, Y) / var(X) on both arms pooled, then Welch on Y'.
 */

export const liftRecordSchema = z.object({
  customerId: z.string().optional(),
  /** The comparison group, e.g. "dormant-loyalists × reengage". */
  group: z.string().min(1).max(256),
  /** global_control records are not used: that group is compared across campaigns, not per group. */
  arm: z.enum(["treatment", "holdout", "global_control"]),
  converted: z.boolean(),
  revenue: z.number().finite(),
  margin: z.number().finite(),
  unsubscribed: z.boolean(),
  /** Pre-period spend, the CUPED covariate. */
  prePeriodSpend: z.number().finite().optional(),
});
export type LiftRecord = z.input<typeof liftRecordSchema>;

export const liftInputSchema = z.object({
  records: z.array(liftRecordSchema),
  confidence: z.number().gt(0).lt(1).default(0.95),
  /** Designed holdout share (of treatment + holdout) per group, for the SRM check; default for unlisted groups. */
  holdoutShares: z.record(z.string(), z.number().gt(0).lt(1)).default({}),
  defaultHoldoutShare: z.number().gt(0).lt(1).default(0.1),
  srmAlpha: z.number().gt(0).lt(1).default(0.001),
  /** Apply CUPED when every record of a group carries prePeriodSpend. */
  cuped: z.boolean().default(false),
});
export type LiftInput = z.input<typeof liftInputSchema>;

const intervalSchema = z.object({ low: z.number(), high: z.number() });

export const rateComparisonSchema = z.object({
  treated: z.number().min(0).max(1),
  holdout: z.number().min(0).max(1),
  difference: z.number(),
  ci: intervalSchema.nullable(),
  /** difference ÷ holdout; null when the holdout rate is 0. */
  relativeLift: z.number().nullable(),
});
export type RateComparison = z.infer<typeof rateComparisonSchema>;

export const meanComparisonSchema = z.object({
  treated: z.number(),
  holdout: z.number(),
  difference: z.number(),
  ci: intervalSchema.nullable(),
  relativeLift: z.number().nullable(),
  /** Present when CUPED was applied: the adjusted difference and interval. */
  cuped: z.object({ theta: z.number(), difference: z.number(), ci: intervalSchema.nullable(), varianceReduction: z.number() }).nullable(),
});
export type MeanComparison = z.infer<typeof meanComparisonSchema>;

export const groupLiftSchema = z.object({
  group: z.string(),
  treatedCount: z.number().int(),
  holdoutCount: z.number().int(),
  conversion: rateComparisonSchema,
  revenuePerCustomer: meanComparisonSchema,
  marginPerCustomer: meanComparisonSchema,
  unsubscribeRate: rateComparisonSchema,
  srm: sampleRatioOutputSchema,
  /** The conversion interval excludes 0 and the design is sound. */
  significant: z.boolean(),
  warnings: z.array(z.string()),
});
export type GroupLift = z.infer<typeof groupLiftSchema>;

export const liftOutputSchema = z.object({
  confidence: z.number(),
  groups: z.array(groupLiftSchema),
  /** global_control records left out. */
  excludedRecords: z.number().int(),
});
export type LiftOutput = z.infer<typeof liftOutputSchema>;

export interface Interval {
  low: number;
  high: number;
}

/** Wilson score interval for a proportion. */
export function wilsonInterval(successes: number, n: number, z: number): Interval {
  if (n === 0) return { low: 0, high: 1 };
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
  return { low: successes === 0 ? 0 : Math.max(0, centre - half), high: successes === n ? 1 : Math.min(1, centre + half) };
}

/** Newcombe's hybrid score interval for p1 − p2 (his method 10). */
export function newcombeInterval(x1: number, n1: number, x2: number, n2: number, confidence = 0.95): Interval | null {
  if (n1 === 0 || n2 === 0) return null;
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const p1 = x1 / n1;
  const p2 = x2 / n2;
  const w1 = wilsonInterval(x1, n1, z);
  const w2 = wilsonInterval(x2, n2, z);
  const d = p1 - p2;
  return {
    low: d - Math.sqrt((p1 - w1.low) ** 2 + (w2.high - p2) ** 2),
    high: d + Math.sqrt((w1.high - p1) ** 2 + (p2 - w2.low) ** 2),
  };
}

function meanVar(xs: readonly number[]): { mean: number; variance: number } {
  const n = xs.length;
  if (n === 0) return { mean: 0, variance: 0 };
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= n;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return { mean, variance: n > 1 ? ss / (n - 1) : 0 };
}

/** Welch's t interval for mean(a) − mean(b); null with fewer than two observations in an arm. */
export function welchInterval(a: readonly number[], b: readonly number[], confidence = 0.95): Interval | null {
  if (a.length < 2 || b.length < 2) return null;
  const A = meanVar(a);
  const B = meanVar(b);
  const va = A.variance / a.length;
  const vb = B.variance / b.length;
  const se = Math.sqrt(va + vb);
  const d = A.mean - B.mean;
  if (se === 0) return { low: d, high: d };
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const t = studentTQuantile(1 - (1 - confidence) / 2, df);
  return { low: d - t * se, high: d + t * se };
}

/** CUPED: θ = cov(X, Y) / var(X) over all units, and the adjusted outcomes Y − θ(X − mean X). */
export function cupedAdjust(y: readonly number[], x: readonly number[]): { theta: number; adjusted: number[] } {
  const X = meanVar(x);
  const Y = meanVar(y);
  let cov = 0;
  for (let i = 0; i < y.length; i++) cov += (x[i] - X.mean) * (y[i] - Y.mean);
  cov = y.length > 1 ? cov / (y.length - 1) : 0;
  const theta = X.variance > 0 ? cov / X.variance : 0;
  return { theta, adjusted: y.map((v, i) => v - theta * (x[i] - X.mean)) };
}

type Rec = z.infer<typeof liftRecordSchema>;

function rate(treated: Rec[], holdout: Rec[], pick: (r: Rec) => boolean, confidence: number): RateComparison {
  const x1 = treated.filter(pick).length;
  const x2 = holdout.filter(pick).length;
  const p1 = treated.length ? x1 / treated.length : 0;
  const p2 = holdout.length ? x2 / holdout.length : 0;
  return {
    treated: p1,
    holdout: p2,
    difference: p1 - p2,
    ci: newcombeInterval(x1, treated.length, x2, holdout.length, confidence),
    relativeLift: p2 > 0 ? (p1 - p2) / p2 : null,
  };
}

function mean(treated: Rec[], holdout: Rec[], pick: (r: Rec) => number, confidence: number, cuped: boolean): MeanComparison {
  const a = treated.map(pick);
  const b = holdout.map(pick);
  const A = meanVar(a);
  const B = meanVar(b);
  let adjusted: MeanComparison["cuped"] = null;
  if (cuped) {
    const all = [...treated, ...holdout];
    const { theta, adjusted: y } = cupedAdjust(
      all.map(pick),
      all.map((r) => r.prePeriodSpend ?? 0),
    );
    const ya = y.slice(0, treated.length);
    const yb = y.slice(treated.length);
    const raw = A.variance / Math.max(1, a.length) + B.variance / Math.max(1, b.length);
    const adj = meanVar(ya).variance / Math.max(1, ya.length) + meanVar(yb).variance / Math.max(1, yb.length);
    adjusted = {
      theta,
      difference: meanVar(ya).mean - meanVar(yb).mean,
      ci: welchInterval(ya, yb, confidence),
      varianceReduction: raw > 0 ? 1 - adj / raw : 0,
    };
  }
  return {
    treated: A.mean,
    holdout: B.mean,
    difference: A.mean - B.mean,
    ci: welchInterval(a, b, confidence),
    relativeLift: B.mean !== 0 ? (A.mean - B.mean) / Math.abs(B.mean) : null,
    cuped: adjusted,
  };
}

function liftParsed(input: z.infer<typeof liftInputSchema>): LiftOutput {
  const groups = new Map<string, { treated: Rec[]; holdout: Rec[] }>();
  let excluded = 0;
  for (const r of input.records) {
    if (r.arm === "global_control") {
      excluded += 1;
      continue;
    }
    let g = groups.get(r.group);
    if (!g) groups.set(r.group, (g = { treated: [], holdout: [] }));
    (r.arm === "treatment" ? g.treated : g.holdout).push(r);
  }

  const out: GroupLift[] = [];
  for (const [group, { treated, holdout }] of [...groups].sort(([a], [b]) => a.localeCompare(b))) {
    const warnings: string[] = [];
    const share = Object.hasOwn(input.holdoutShares, group) ? input.holdoutShares[group] : input.defaultHoldoutShare;
    const srm = checkSampleRatio({
      observed: { treatment: treated.length, holdout: holdout.length },
      expected: { treatment: 1 - share, holdout: share },
      alpha: input.srmAlpha,
    });
    if (srm.mismatch) warnings.push(`Sample ratio mismatch (p = ${srm.pValue.toExponential(2)}): the comparison may be biased.`);
    if (treated.length < 2 || holdout.length < 2) warnings.push("Fewer than two customers in an arm: no interval.");
    let cuped = input.cuped;
    if (cuped && [...treated, ...holdout].some((r) => r.prePeriodSpend === undefined)) {
      cuped = false;
      warnings.push("CUPED skipped: some records lack prePeriodSpend.");
    }
    const conversion = rate(treated, holdout, (r) => r.converted, input.confidence);
    out.push({
      group,
      treatedCount: treated.length,
      holdoutCount: holdout.length,
      conversion,
      revenuePerCustomer: mean(treated, holdout, (r) => r.revenue, input.confidence, cuped),
      marginPerCustomer: mean(treated, holdout, (r) => r.margin, input.confidence, cuped),
      unsubscribeRate: rate(treated, holdout, (r) => r.unsubscribed, input.confidence),
      srm,
      significant: !srm.mismatch && conversion.ci !== null && (conversion.ci.low > 0 || conversion.ci.high < 0),
      warnings,
    });
  }
  return { confidence: input.confidence, groups: out, excludedRecords: excluded };
}

export const liftToolDefinition = defineTool({
  name: "measure_lift",
  description:
    "Per group (segment × strategy), treated minus holdout: conversion rate, revenue and margin per customer, unsubscribe rate, with confidence " +
    "intervals (Newcombe for rates, Welch for means), relative lift, the sample-ratio-mismatch check, and optional CUPED on pre-period spend.",
  input: liftInputSchema,
  output: liftOutputSchema,
  fn: liftParsed,
});

/** Measures lift per group; validates input and output. */
export function measureLift(input: LiftInput): LiftOutput {
  return liftToolDefinition.run(input);
}

export interface LiftToolDeps {
  /** With a loader, the agent names an experiment and never sees per-customer records. */
  loadRecords?: (experimentId: string) => Promise<LiftRecord[]>;
  holdoutShares?: Record<string, number>;
  defaultHoldoutShare?: number;
}

export function createLiftTool(deps: LiftToolDeps = {}): StructuredToolInterface {
  const { loadRecords } = deps;
  if (loadRecords) {
    const schema = z.object({ experimentId: z.string().min(1).max(128), cuped: z.boolean().optional() });
    return toLangChainTool(liftToolDefinition, {
      schema,
      adapt: async ({ experimentId, cuped }: z.infer<typeof schema>): Promise<LiftInput> => ({
        records: await loadRecords(experimentId),
        holdoutShares: deps.holdoutShares,
        defaultHoldoutShare: deps.defaultHoldoutShare,
        cuped,
      }),
    });
  }
  return toLangChainTool(liftToolDefinition);
}
