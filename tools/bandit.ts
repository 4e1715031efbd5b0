import { createHash } from "node:crypto";
import jstatModule from "jstat";
import { z } from "zod";
import { defineTool } from "./define-tool.js";

const { jStat } = jstatModule as unknown as typeof import("jstat");

/**
 * Thompson sampling over arms (copy variants, offer depths, or both) for one context (a segment ×
 * strategy), with a bounded exploration share and the propensity of every choice.
 *
 * Each arm's conversion rate has a Beta(priorAlpha + successes, priorBeta + failures) posterior.
 * Thompson sampling would pick arm a with probability P(theta_a is the largest); that probability is
 * computed by numerical integration, P(a) = ∫ f_a(x) Π_{b≠a} F_b(x) dx (deterministic, so the same
 * evidence always gives the same propensities, and no Monte Carlo error). Then:
 * - exploration (any arm but the one with the best posterior mean) is capped at `maxExplore`:
 *   if Thompson gives the other arms more, their shares are scaled down to the cap;
 * - every arm keeps at least `minPropensity`, so off-policy evaluation has support for every arm.
 * A customer's arm is drawn from those propensities by a salted hash of (decision key, customer),
 * stable across runs; the propensity it was drawn with is returned to be recorded with the send.
 */

export const BanditArmSchema = z.object({
  armId: z.string().min(1),
  successes: z.number().nonnegative(),
  failures: z.number().nonnegative(),
  /**
   * What one success of this arm is worth relative to the others (e.g. an offer depth's margin rate
   * after its discount): the arms are ranked, and Thompson sampling draws, on value × rate. Default 1.
   */
  value: z.number().positive().optional(),
});
export type BanditArm = z.infer<typeof BanditArmSchema>;

export const BanditOptionsSchema = z
  .object({
    maxExplore: z.number().min(0).max(1).default(0.2),
    minPropensity: z.number().min(0).max(1).default(0.01),
    priorAlpha: z.number().positive().default(1),
    priorBeta: z.number().positive().default(1),
    gridPoints: z.number().int().min(100).max(20000).default(2000),
  })
  .default({ maxExplore: 0.2, minPropensity: 0.01, priorAlpha: 1, priorBeta: 1, gridPoints: 2000 });
export type BanditOptions = z.input<typeof BanditOptionsSchema>;

export const BanditPolicyInputSchema = z
  .object({
    arms: z.array(BanditArmSchema).min(1),
    options: BanditOptionsSchema,
  })
  .superRefine((input, ctx) => {
    const ids = new Set(input.arms.map((a) => a.armId));
    if (ids.size !== input.arms.length) ctx.addIssue({ code: "custom", path: ["arms"], message: "arm ids must be unique" });
    const { minPropensity, maxExplore } = input.options;
    if (minPropensity * (input.arms.length - 1) > maxExplore + 1e-12)
      ctx.addIssue({
        code: "custom",
        path: ["options", "minPropensity"],
        message: `minPropensity ${minPropensity} × ${input.arms.length - 1} other arms exceeds maxExplore ${maxExplore}`,
      });
  });
export type BanditPolicyInput = z.input<typeof BanditPolicyInputSchema>;

export interface BanditPolicy {
  /** The arm with the best posterior mean (ties: the first listed). */
  greedyArmId: string;
  /** Propensity per arm, in input order; sums to 1. */
  propensities: { armId: string; propensity: number; thompson: number; posteriorMean: number }[];
  /** Share of choices that go to arms other than the greedy one. */
  exploreShare: number;
  reasons: string[];
}

/**
 * P(value_a × theta_a is the largest) for Beta posteriors scaled by each arm's value:
 * ∫ f_a(x) Π_{b≠a} F_b(x value_a / value_b) dx over arm a's own support (midpoint rule).
 */
export function scaledThompsonProbabilities(params: readonly { a: number; b: number; value: number }[], gridPoints = 2000): number[] {
  if (params.length === 1) return [1];
  const out = params.map((p, i) => {
    const lo = jStat.beta.inv(1e-6, p.a, p.b);
    const hi = jStat.beta.inv(1 - 1e-6, p.a, p.b);
    const width = (hi - lo) / gridPoints;
    let sum = 0;
    for (let g = 0; g < gridPoints; g++) {
      const x = lo + (g + 0.5) * width;
      let prod = jStat.beta.pdf(x, p.a, p.b) * width;
      for (let j = 0; j < params.length && prod > 0; j++) {
        if (j === i) continue;
        const y = (x * p.value) / params[j].value;
        prod *= y >= 1 ? 1 : jStat.beta.cdf(y, params[j].a, params[j].b);
      }
      if (Number.isFinite(prod)) sum += prod;
    }
    return sum;
  });
  const total = out.reduce((s, v) => s + v, 0);
  return total > 0 ? out.map((v) => v / total) : out.map(() => 1 / params.length);
}

/** P(theta_a is the largest) for Beta posteriors, by the midpoint rule over where the posteriors have mass. */
export function thompsonProbabilities(params: readonly { a: number; b: number }[], gridPoints = 2000): number[] {
  if (params.length === 1) return [1];
  const lo = Math.min(...params.map((p) => jStat.beta.inv(1e-6, p.a, p.b)));
  const hi = Math.max(...params.map((p) => jStat.beta.inv(1 - 1e-6, p.a, p.b)));
  const width = (hi - lo) / gridPoints;
  const out = new Array<number>(params.length).fill(0);
  for (let g = 0; g < gridPoints; g++) {
    const x = lo + (g + 0.5) * width;
    const cdf = params.map((p) => jStat.beta.cdf(x, p.a, p.b));
    for (let i = 0; i < params.length; i++) {
      let prod = jStat.beta.pdf(x, params[i].a, params[i].b) * width;
      for (let j = 0; j < params.length && prod > 0; j++) if (j !== i) prod *= cdf[j];
      if (Number.isFinite(prod)) out[i] += prod;
    }
  }
  const total = out.reduce((s, v) => s + v, 0);
  return total > 0 ? out.map((v) => v / total) : out.map(() => 1 / params.length);
}

export function banditPolicy(raw: BanditPolicyInput): BanditPolicy {
  const { arms, options } = BanditPolicyInputSchema.parse(raw);
  const posts = arms.map((a) => ({ a: options.priorAlpha + a.successes, b: options.priorBeta + a.failures }));
  const means = posts.map((p) => p.a / (p.a + p.b));
  const valued = arms.some((a) => a.value !== undefined);
  const scores = means.map((m, i) => m * (arms[i].value ?? 1));
  const greedy = scores.indexOf(Math.max(...scores));
  const ts = valued
    ? scaledThompsonProbabilities(
        posts.map((p, i) => ({ ...p, value: arms[i].value ?? 1 })),
        options.gridPoints,
      )
    : thompsonProbabilities(posts, options.gridPoints);
  const reasons: string[] = [];

  // Others' shares: Thompson's, floored at minPropensity, then scaled down if they exceed the cap.
  const others = ts.map((p, i) => (i === greedy ? 0 : Math.max(p, options.minPropensity)));
  let otherTotal = others.reduce((s, v) => s + v, 0);
  if (otherTotal > options.maxExplore) {
    // Scale the part above the floor, so every arm keeps at least minPropensity.
    const floorTotal = options.minPropensity * (arms.length - 1);
    const above = otherTotal - floorTotal;
    const room = Math.max(0, options.maxExplore - floorTotal);
    const k = above > 0 ? room / above : 0;
    for (let i = 0; i < others.length; i++) if (i !== greedy) others[i] = options.minPropensity + (others[i] - options.minPropensity) * k;
    reasons.push(`thompson explored ${(otherTotal * 100).toFixed(1)}%, capped at ${(options.maxExplore * 100).toFixed(1)}%`);
    otherTotal = others.reduce((s, v) => s + v, 0);
  }
  const prop = others.map((p, i) => (i === greedy ? 1 - otherTotal : p));
  reasons.unshift(
    `greedy arm ${arms[greedy].armId}: posterior mean ${(means[greedy] * 100).toFixed(2)}%${valued ? ` × value ${(arms[greedy].value ?? 1).toFixed(3)}` : ""} from ${arms[greedy].successes.toFixed(1)} successes / ${arms[greedy].failures.toFixed(1)} failures`,
  );
  return {
    greedyArmId: arms[greedy].armId,
    propensities: arms.map((a, i) => ({ armId: a.armId, propensity: prop[i], thompson: ts[i], posteriorMean: means[i] })),
    exploreShare: otherTotal,
    reasons,
  };
}

export interface BanditChoice {
  armId: string;
  /** The probability this arm had of being chosen for this customer: record it with the send. */
  propensity: number;
  explored: boolean;
  reason: string;
}

/** A uniform in [0, 1) from a salted hash: stable for (decision, customer), independent of order. */
export function unitFromKey(decisionKey: string, customerId: string): number {
  const d = createHash("sha256").update(`bandit|${decisionKey}|${customerId}`).digest();
  return (d.readUInt32BE(0) * 2 ** 21 + (d.readUInt32BE(4) >>> 11)) / 2 ** 53;
}

/** Draws one customer's arm from a policy's propensities. */
export function chooseArm(policy: BanditPolicy, decisionKey: string, customerId: string): BanditChoice {
  const u = unitFromKey(decisionKey, customerId);
  let acc = 0;
  let pick = policy.propensities[policy.propensities.length - 1];
  for (const p of policy.propensities) {
    acc += p.propensity;
    if (u < acc) {
      pick = p;
      break;
    }
  }
  const explored = pick.armId !== policy.greedyArmId;
  return {
    armId: pick.armId,
    propensity: pick.propensity,
    explored,
    reason: explored
      ? `explore: arm ${pick.armId} drawn with propensity ${pick.propensity.toFixed(4)} (greedy ${policy.greedyArmId})`
      : `exploit: greedy arm ${pick.armId}, propensity ${pick.propensity.toFixed(4)}`,
  };
}

export const banditTool = defineTool({
  name: "bandit_policy",
  description:
    "Thompson sampling over copy variants or offer depths for one segment × strategy: from each arm's successes and failures, the probability each arm is chosen " +
    "(exploration of non-best arms capped), with reasons. Record the propensity with every send.",
  input: BanditPolicyInputSchema,
  output: z.object({
    greedyArmId: z.string(),
    propensities: z.array(z.object({ armId: z.string(), propensity: z.number(), thompson: z.number(), posteriorMean: z.number() })),
    exploreShare: z.number(),
    reasons: z.array(z.string()),
  }),
  fn: (input) => banditPolicy(input),
});
