import { z } from "zod";

/**
 * Off-policy evaluation: what a target policy would have earned, from decisions logged under
 * another policy with their propensities.
 *
 * For logged decision i: action a_i chosen with propensity mu_i = mu(a_i | x_i), reward r_i, the
 * target policy's probability pi_i = pi(a_i | x_i) and weight w_i = pi_i / mu_i.
 * - IPW: V = mean(w_i r_i); 95% interval from the sample standard deviation of w_i r_i.
 * - Self-normalised IPW: V = sum(w_i r_i) / sum(w_i); interval by the delta method,
 *   var = sum(w_i^2 (r_i - V)^2) / sum(w_i)^2.
 * - Doubly robust: V = mean(qPi_i + w_i (r_i - qLogged_i)), where qLogged_i is a reward model's
 *   prediction for the logged action and qPi_i its expectation under the target policy; unbiased if
 *   either the propensities or the reward model are right. Interval from the terms' sample sd.
 */

export const OpeLogSchema = z.object({
  propensity: z.number().gt(0).max(1),
  reward: z.number().finite(),
  targetProbability: z.number().min(0).max(1),
  /** Reward model's prediction for the logged action (doubly robust only). */
  predictedLogged: z.number().finite().optional(),
  /** Reward model's expected reward under the target policy (doubly robust only). */
  predictedTarget: z.number().finite().optional(),
});
export type OpeLog = z.infer<typeof OpeLogSchema>;

export interface OpeEstimate {
  estimator: "ipw" | "snipw" | "dr";
  value: number;
  low: number;
  high: number;
  standardError: number;
  n: number;
  /** Kish's effective sample size of the weights: small means the estimate rests on few logs. */
  effectiveSampleSize: number;
}

const Z95 = 1.959963984540054;

function interval(estimator: OpeEstimate["estimator"], value: number, se: number, n: number, ess: number): OpeEstimate {
  return { estimator, value, low: value - Z95 * se, high: value + Z95 * se, standardError: se, n, effectiveSampleSize: ess };
}

function meanAndSe(terms: readonly number[]): { mean: number; se: number } {
  const n = terms.length;
  const mean = terms.reduce((s, v) => s + v, 0) / n;
  const variance = n > 1 ? terms.reduce((s, v) => s + (v - mean) ** 2, 0) / (n - 1) : 0;
  return { mean, se: Math.sqrt(variance / n) };
}

function parse(logs: readonly OpeLog[]): { logs: OpeLog[]; w: number[]; ess: number } {
  const parsed = z.array(OpeLogSchema).min(1).parse(logs);
  const w = parsed.map((l) => l.targetProbability / l.propensity);
  const sw = w.reduce((s, v) => s + v, 0);
  const sw2 = w.reduce((s, v) => s + v * v, 0);
  return { logs: parsed, w, ess: sw2 > 0 ? (sw * sw) / sw2 : 0 };
}

export function ipwEstimate(raw: readonly OpeLog[]): OpeEstimate {
  const { logs, w, ess } = parse(raw);
  const { mean, se } = meanAndSe(logs.map((l, i) => w[i] * l.reward));
  return interval("ipw", mean, se, logs.length, ess);
}

export function snipwEstimate(raw: readonly OpeLog[]): OpeEstimate {
  const { logs, w, ess } = parse(raw);
  const sw = w.reduce((s, v) => s + v, 0);
  if (sw === 0) return interval("snipw", Number.NaN, Number.NaN, logs.length, 0);
  const value = logs.reduce((s, l, i) => s + w[i] * l.reward, 0) / sw;
  const se = Math.sqrt(logs.reduce((s, l, i) => s + w[i] * w[i] * (l.reward - value) ** 2, 0)) / sw;
  return interval("snipw", value, se, logs.length, ess);
}

export function drEstimate(raw: readonly OpeLog[]): OpeEstimate {
  const { logs, w, ess } = parse(raw);
  const missing = logs.findIndex((l) => l.predictedLogged === undefined || l.predictedTarget === undefined);
  if (missing >= 0) throw new RangeError(`log ${missing} lacks the reward model's predictions the doubly robust estimate needs`);
  const { mean, se } = meanAndSe(logs.map((l, i) => l.predictedTarget! + w[i] * (l.reward - l.predictedLogged!)));
  return interval("dr", mean, se, logs.length, ess);
}

/** All three estimates (DR only when every log carries the reward model's predictions). */
export function offPolicyEstimates(logs: readonly OpeLog[]): OpeEstimate[] {
  const out = [ipwEstimate(logs), snipwEstimate(logs)];
  if (logs.every((l) => l.predictedLogged !== undefined && l.predictedTarget !== undefined)) out.push(drEstimate(logs));
  return out;
}
