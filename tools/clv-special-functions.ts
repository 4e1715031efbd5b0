import { createRequire } from "node:module";
import { PulseError } from "../core/errors.js";

/**
 * Special functions for the CLV models: log-gamma from jstat, and the Gauss hypergeometric 2F1 as
 * a power series with a tail bound (no maintained npm package provides 2F1 for real arguments).
 */

interface JStatSubset {
  gammaln(x: number): number;
}

// jstat ships no type declarations; typed here by the subset we use (same pattern as holdout-distributions.ts).
const { jStat } = createRequire(import.meta.url)("jstat") as { jStat: JStatSubset };

/** ln Γ(x) for x > 0. */
export function gammaln(x: number): number {
  return jStat.gammaln(x);
}

/** A special function could not be evaluated to full precision for these arguments. */
export class SpecialFunctionError extends PulseError {
  constructor(message: string) {
    super("SPECIAL_FUNCTION_FAILED", message);
  }
}

const MAX_TERMS = 1_000_000;
const RELATIVE_TOLERANCE = 1e-15;
const RESCALE_ABOVE = 1e200;
const LOG_RESCALE = Math.log(RESCALE_ABOVE);

/**
 * exp(logScale) · 2F1(a, b; c; z) for |z| < 1. The sum is kept in linear space and rescaled when it
 * grows large, and the scale is applied in log space at the end, so a tiny scale times a huge
 * series (z near 1, large a or b) neither underflows nor overflows.
 *
 * Stops when the remaining tail is provably below RELATIVE_TOLERANCE of the sum. With the term
 * ratio ρ_m = z · f(m), f(m) = (a+m)(b+m) / ((c+m)(m+1)), the tail after term n+1 is at most
 * |term| · R / (1 - R) where R = |z| · sup_{m > n} f(m) < 1. Once a+m, b+m, c+m and m+1 are all
 * positive, f - 1 is a ratio of a linear to a quadratic polynomial, so that supremum is the
 * largest of f at the next index, f at its (at most two) stationary points beyond, and the limit 1.
 */
export function scaledHyp2f1(a: number, b: number, c: number, z: number, logScale = 0): number {
  if (!(Math.abs(z) < 1)) throw new SpecialFunctionError(`2F1 series needs |z| < 1, got z=${z}`);
  if (!Number.isFinite(a + b + c + logScale)) throw new SpecialFunctionError(`2F1 arguments must be finite (a=${a}, b=${b}, c=${c})`);
  if (z === 0) return Math.exp(logScale);
  const stationary = stationaryPoints(a, b, c);
  const positiveFrom = Math.max(-a, -b, -c, -1);
  let scale = logScale;
  let term = 1;
  let sum = 1;
  for (let n = 0; n < MAX_TERMS; n++) {
    const den = (c + n) * (n + 1);
    if (den === 0) throw new SpecialFunctionError(`2F1 undefined: c=${c} is a non-positive integer`);
    const ratio = (((a + n) * (b + n)) / den) * z;
    if (ratio === 0) return finishSeries(sum, scale); // the series terminates (a or b a non-positive integer)
    term *= ratio;
    sum += term;
    if (Math.abs(sum) > RESCALE_ABOVE || Math.abs(term) > RESCALE_ABOVE) {
      term /= RESCALE_ABOVE;
      sum /= RESCALE_ABOVE;
      scale += LOG_RESCALE;
    }
    const next = n + 1;
    if (next > positiveFrom && Math.abs(term) <= RELATIVE_TOLERANCE * Math.abs(sum)) {
      let sup = Math.max(1, termRatio(a, b, c, next));
      for (const m of stationary) if (m > next) sup = Math.max(sup, termRatio(a, b, c, m));
      const bound = Math.abs(z) * sup;
      if (bound < 1 && Math.abs(term) * (bound / (1 - bound)) <= RELATIVE_TOLERANCE * Math.abs(sum)) return finishSeries(sum, scale);
    }
  }
  throw new SpecialFunctionError(`2F1(${a}, ${b}; ${c}; ${z}) did not converge in ${MAX_TERMS} terms`);
}

// Module-level rather than closures inside scaledHyp2f1: the CLV scores call it a million times, and
// under tsx (keepNames) every closure created per call also pays a naming helper.
function finishSeries(sum: number, scale: number): number {
  return sum === 0 ? 0 : Math.sign(sum) * Math.exp(scale + Math.log(Math.abs(sum)));
}

/** f(m) = (a+m)(b+m) / ((c+m)(m+1)), the ratio of consecutive terms without z. */
function termRatio(a: number, b: number, c: number, m: number): number {
  return ((a + m) * (b + m)) / ((c + m) * (m + 1));
}

/**
 * Where f(m) = 1 + L(m) / Q(m), L(m) = (a+b-c-1) m + ab - c, Q(m) = (c+m)(m+1), has zero
 * derivative: the real roots of α m² + 2β m + β(c+1) - αc = 0 with α = a+b-c-1, β = ab-c.
 */
function stationaryPoints(a: number, b: number, c: number): number[] {
  const alpha = a + b - c - 1;
  const beta = a * b - c;
  if (alpha === 0) return beta === 0 ? [] : [-(c + 1) / 2];
  const disc = beta * beta - alpha * (beta * (c + 1) - alpha * c);
  if (disc < 0) return [];
  const root = Math.sqrt(disc);
  return [(-beta + root) / alpha, (-beta - root) / alpha];
}

/** 2F1(a, b; c; z) for |z| < 1. */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  return scaledHyp2f1(a, b, c, z, 0);
}
