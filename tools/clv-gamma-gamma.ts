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
  const { p, q, gamma } = params;
  const constant = -gammaln(q) + q * Math.log(gamma);
  let total = 0;
  for (const { x, averageSpend: m } of customers) {
    const px = p * x;
    total += gammaln(px + q) - gammaln(px) + constant + (px - 1) * Math.log(m) + px * Math.log(x) - (px + q) * Math.log(gamma + m * x);
  }
  return total;
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
  const best = minimizePositive((v) => -gammaGammaLogLikelihood(toParams(v), data), starts);
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
