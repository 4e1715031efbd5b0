import { gammaln } from "./clv-special-functions.js";
import { minimizePositive } from "./clv-minimize.js";

/**
 * Gamma-Gamma spend model (Fader & Hardie, "The Gamma-Gamma model of monetary value", 2013;
 * Colombo & Jiang 1999): a customer's transaction values are Gamma(p, ν) around their own mean,
 * with ν ~ Gamma(q, γ) across customers. Fitted on customers with x > 0 repeat purchases, using
 * their mean spend per repeat purchase m_x in calibration. Assumes spend independent of frequency.
 */

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** A customer with x > 0 repeat purchases of mean value m_x > 0. */
export interface SpendSummary {
  x: number;
  averageSpend: number;
}

export function gammaGammaLogLikelihood(params: GammaGammaParams, customers: readonly SpendSummary[]): number {
  return likelihoodOf(prepareSpend(customers))(params);
}

/** Per-customer logs that do not depend on the parameters, computed once per fit instead of per evaluation. */
interface PreparedSpend {
  x: Float64Array;
  m: Float64Array;
  logM: Float64Array;
  /** Index of each customer's x in `distinctX`. */
  xIndex: Int32Array;
  distinctX: number[];
  logX: Float64Array;
}

function prepareSpend(customers: readonly SpendSummary[]): PreparedSpend {
  const n = customers.length;
  const prepared: PreparedSpend = {
    x: new Float64Array(n),
    m: new Float64Array(n),
    logM: new Float64Array(n),
    xIndex: new Int32Array(n),
    distinctX: [],
    logX: new Float64Array(0),
  };
  const indexOfX = new Map<number, number>();
  customers.forEach(({ x, averageSpend }, i) => {
    prepared.x[i] = x;
    prepared.m[i] = averageSpend;
    prepared.logM[i] = Math.log(averageSpend);
    let k = indexOfX.get(x);
    if (k === undefined) indexOfX.set(x, (k = prepared.distinctX.push(x) - 1));
    prepared.xIndex[i] = k;
  });
  prepared.logX = Float64Array.from(prepared.distinctX, (x) => Math.log(x));
  return prepared;
}

/**
 * The log-likelihood as a function of the parameters. Terms that depend only on x (the two log-gammas)
 * are evaluated once per distinct x and evaluation, the logs of the data once per fit; each customer's
 * term is summed in the same order as the textbook formula, so the value is the same to the last bit.
 */
function likelihoodOf(data: PreparedSpend): (params: GammaGammaParams) => number {
  const k = data.distinctX.length;
  const lgPxq = new Float64Array(k);
  const lgPx = new Float64Array(k);
  return ({ p, q, gamma }) => {
    for (let j = 0; j < k; j++) {
      const px = p * data.distinctX[j]!;
      lgPxq[j] = gammaln(px + q);
      lgPx[j] = gammaln(px);
    }
    const constant = -gammaln(q) + q * Math.log(gamma);
    let total = 0;
    for (let i = 0; i < data.x.length; i++) {
      const x = data.x[i]!;
      const m = data.m[i]!;
      const j = data.xIndex[i]!;
      const px = p * x;
      total += lgPxq[j]! - lgPx[j]! + constant + (px - 1) * data.logM[i]! + px * data.logX[j]! - (px + q) * Math.log(gamma + m * x);
    }
    return total;
  };
}

export interface GammaGammaFit {
  params: GammaGammaParams;
  logLikelihood: number;
  customers: number;
}

/** Maximum-likelihood fit; customers with x = 0 or non-positive spend carry no information and are skipped. */
export function fitGammaGamma(customers: readonly SpendSummary[]): GammaGammaFit {
  const data = customers.filter((c) => c.x > 0 && c.averageSpend > 0);
  if (data.length === 0) throw new RangeError("fitGammaGamma needs at least one customer with x > 0 and positive spend");
  const meanSpend = data.reduce((s, c) => s + c.averageSpend, 0) / data.length;
  // Starts: moderately and strongly heterogeneous means, scaled to the observed average spend.
  const starts = [
    [1, 2, meanSpend],
    [10, 5, meanSpend / 2],
    [2, 10, meanSpend * 4],
  ];
  const toParams = ([p, q, gamma]: number[]): GammaGammaParams => ({ p, q, gamma });
  const logLikelihood = likelihoodOf(prepareSpend(data));
  const best = minimizePositive((v) => -logLikelihood(toParams(v)), starts);
  return { params: toParams(best.params), logLikelihood: -best.value, customers: data.length };
}

/**
 * E[mean transaction value | x, m_x] = p(γ + x·m_x) / (p·x + q - 1): a weighted average of the
 * population mean pγ/(q-1) and the customer's own mean. With x = 0 it is the population mean.
 * Needs q > 1 (otherwise the population mean is infinite): returns NaN then.
 */
export function conditionalExpectedSpend(params: GammaGammaParams, x: number, averageSpend: number | null | undefined): number {
  const { p, q, gamma } = params;
  if (!(q > 1)) return Number.NaN;
  if (x === 0 || averageSpend === null || averageSpend === undefined) return (p * gamma) / (q - 1);
  return (p * (gamma + x * averageSpend)) / (p * x + q - 1);
}
