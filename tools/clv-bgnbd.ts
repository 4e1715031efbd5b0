import { gammaln, scaledHyp2f1 } from "./clv-special-functions.js";
import { minimizePositive } from "./clv-minimize.js";

/**
 * BG/NBD (Fader, Hardie & Lee 2005, "Counting your customers the easy way"): while alive a
 * customer buys as a Poisson process with rate λ ~ Gamma(r, α); after each purchase they drop out
 * with probability p ~ Beta(a, b). A customer is summarized by (x, t_x, T): repeat purchases,
 * time of the last one and time since the first purchase, all in the calibration period.
 */

export interface BgnbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** One customer's calibration summary; times in weeks from their first purchase. */
export interface RfmSummary {
  x: number;
  tx: number;
  T: number;
}

/** Identical summaries collapsed with a count, so the likelihood costs one term per distinct (x, t_x, T). */
interface WeightedSummary extends RfmSummary {
  weight: number;
}

function compress(customers: readonly RfmSummary[]): WeightedSummary[] {
  const byKey = new Map<string, WeightedSummary>();
  for (const c of customers) {
    const key = `${c.x}|${c.tx}|${c.T}`;
    const found = byKey.get(key);
    if (found) found.weight++;
    else byKey.set(key, { x: c.x, tx: c.tx, T: c.T, weight: 1 });
  }
  return [...byKey.values()];
}

function logSumExp(u: number, v: number): number {
  const m = Math.max(u, v);
  return m === Number.NEGATIVE_INFINITY ? m : m + Math.log(Math.exp(u - m) + Math.exp(v - m));
}

function weightedLogLikelihood(params: BgnbdParams, customers: readonly WeightedSummary[]): number {
  const { r, alpha, a, b } = params;
  // Terms that depend on x only, once per distinct x.
  const byX = new Map<number, number>();
  const constantPart = (x: number): number => {
    let v = byX.get(x);
    if (v === undefined) {
      v = gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x);
      byX.set(x, v);
    }
    return v;
  };
  let total = 0;
  for (const c of customers) {
    const a3 = -(r + c.x) * Math.log(alpha + c.T);
    const a4 = c.x > 0 ? Math.log(a) - Math.log(b + c.x - 1) - (r + c.x) * Math.log(alpha + c.tx) : Number.NEGATIVE_INFINITY;
    total += c.weight * (constantPart(c.x) + logSumExp(a3, a4));
  }
  return total;
}

/** The BG/NBD log-likelihood of the customers' summaries (FHL 2005, eq. 6, summed over customers). */
export function bgnbdLogLikelihood(params: BgnbdParams, customers: readonly RfmSummary[]): number {
  return weightedLogLikelihood(params, compress(customers));
}

export interface BgnbdFit {
  params: BgnbdParams;
  logLikelihood: number;
  customers: number;
}

/**
 * Maximum-likelihood fit from several starting points (see minimizePositive). The starts span
 * slow and fast buyers (α around the mean inter-purchase time) and short and long lifetimes.
 */
export function fitBgnbd(customers: readonly RfmSummary[]): BgnbdFit {
  if (customers.length === 0) throw new RangeError("fitBgnbd needs at least one customer");
  const data = compress(customers);
  const meanT = customers.reduce((s, c) => s + c.T, 0) / customers.length;
  const meanX = customers.reduce((s, c) => s + c.x, 0) / customers.length;
  const alpha0 = Math.max(0.1, meanT / Math.max(meanX, 0.1));
  const starts = [
    [1, alpha0, 1, 1],
    [0.1, alpha0 / 10, 0.5, 5],
    [2, alpha0 * 2, 2, 0.5],
  ];
  const toParams = ([r, alpha, a, b]: number[]): BgnbdParams => ({ r, alpha, a, b });
  const best = minimizePositive((p) => -weightedLogLikelihood(toParams(p), data), starts);
  return { params: toParams(best.params), logLikelihood: -best.value, customers: customers.length };
}

/** P(alive | x, t_x, T) (FHL 2005, eq. 11); 1 for a customer with no repeat purchase. */
export function probabilityAlive(params: BgnbdParams, c: RfmSummary): number {
  if (c.x === 0) return 1;
  const { r, alpha, a, b } = params;
  const logOdds = Math.log(a) - Math.log(b + c.x - 1) + (r + c.x) * (Math.log(alpha + c.T) - Math.log(alpha + c.tx));
  return 1 / (1 + Math.exp(logOdds));
}

/**
 * Expected repeat purchases in the next t weeks given (x, t_x, T) (FHL 2005, eq. 10):
 *   (a+b+x-1)/(a-1) · [1 - ((α+T)/(α+T+t))^(r+x) · 2F1(r+x, b+x; a+b+x-1; t/(α+T+t))] · P(alive).
 * The power and the series are combined in log space (scaledHyp2f1), so large x or t stay finite.
 * Undefined at a = 1 exactly (the formula's limit is not implemented): a is nudged off 1.
 */
export function expectedPurchases(params: BgnbdParams, c: RfmSummary, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, b } = params;
  const a = Math.abs(params.a - 1) < 1e-9 ? 1 + 1e-9 : params.a;
  const z = t / (alpha + c.T + t);
  const logScale = (r + c.x) * (Math.log(alpha + c.T) - Math.log(alpha + c.T + t));
  const series = scaledHyp2f1(r + c.x, b + c.x, a + b + c.x - 1, z, logScale);
  return ((a + b + c.x - 1) / (a - 1)) * (1 - series) * probabilityAlive(params, c);
}

/** Expected purchases in (0, t] of a customer just acquired (FHL 2005, eq. 9). */
export function expectedPurchasesNewCustomer(params: BgnbdParams, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = params;
  const z = t / (alpha + t);
  const logScale = r * (Math.log(alpha) - Math.log(alpha + t));
  return ((a + b - 1) / (a - 1)) * (1 - scaledHyp2f1(r, b, a + b - 1, z, logScale));
}
