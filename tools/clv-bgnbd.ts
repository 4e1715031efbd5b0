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

/**
 * Identical summaries collapsed with a count, so the likelihood costs one term per distinct (x, t_x, T),
 * laid out in typed arrays with each summary's x as an index into the distinct x values.
 */
interface WeightedSummaries {
  x: Float64Array;
  tx: Float64Array;
  T: Float64Array;
  weight: Float64Array;
  xIndex: Int32Array;
  distinctX: number[];
}

function compress(customers: readonly RfmSummary[]): WeightedSummaries {
  const byKey = new Map<string, { x: number; tx: number; T: number; weight: number }>();
  for (const c of customers) {
    const key = `${c.x}|${c.tx}|${c.T}`;
    const found = byKey.get(key);
    if (found) found.weight++;
    else byKey.set(key, { x: c.x, tx: c.tx, T: c.T, weight: 1 });
  }
  const rows = [...byKey.values()];
  const n = rows.length;
  const out: WeightedSummaries = {
    x: new Float64Array(n),
    tx: new Float64Array(n),
    T: new Float64Array(n),
    weight: new Float64Array(n),
    xIndex: new Int32Array(n),
    distinctX: [],
  };
  const indexOfX = new Map<number, number>();
  rows.forEach((r, i) => {
    out.x[i] = r.x;
    out.tx[i] = r.tx;
    out.T[i] = r.T;
    out.weight[i] = r.weight;
    let k = indexOfX.get(r.x);
    if (k === undefined) indexOfX.set(r.x, (k = out.distinctX.push(r.x) - 1));
    out.xIndex[i] = k;
  });
  return out;
}

/**
 * Σ weight · (constant(x) + logSumExp(a3, a4)). The parts that depend on x only (log-gammas, log(b+x-1))
 * are evaluated once per distinct x and evaluation; the log-sum-exp is written out inline. Each term is
 * the same arithmetic in the same order as the formula, so the sum is the same to the last bit.
 */
function weightedLogLikelihood(params: BgnbdParams, data: WeightedSummaries): number {
  const { r, alpha, a, b } = params;
  const k = data.distinctX.length;
  const constant = new Float64Array(k);
  const logB = new Float64Array(k);
  for (let j = 0; j < k; j++) {
    const x = data.distinctX[j]!;
    constant[j] = gammaln(r + x) - gammaln(r) + r * Math.log(alpha) + gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x);
    logB[j] = x > 0 ? Math.log(b + x - 1) : Number.NaN;
  }
  const logA = Math.log(a);
  let total = 0;
  for (let i = 0; i < data.x.length; i++) {
    const x = data.x[i]!;
    const j = data.xIndex[i]!;
    const a3 = -(r + x) * Math.log(alpha + data.T[i]!);
    const a4 = x > 0 ? logA - logB[j]! - (r + x) * Math.log(alpha + data.tx[i]!) : Number.NEGATIVE_INFINITY;
    // logSumExp(a3, a4) = m + log(exp(a3 - m) + exp(a4 - m)), m = max(a3, a4); the larger one's
    // exp(0) is exactly 1, so it is not computed.
    let lse: number;
    if (a3 === Number.NEGATIVE_INFINITY && a4 === Number.NEGATIVE_INFINITY) lse = Number.NEGATIVE_INFINITY;
    else if (a3 >= a4) lse = a3 + Math.log(1 + Math.exp(a4 - a3));
    else lse = a4 + Math.log(Math.exp(a3 - a4) + 1);
    total += data.weight[i]! * (constant[j]! + lse);
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
