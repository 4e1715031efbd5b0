import { createRequire } from "node:module";

/**
 * The few distribution functions the measurement tools need, from jstat. jstat ships no type
 * declarations, so it is loaded through `createRequire` and typed here by the subset we use,
 * rather than silencing the compiler at each call site.
 */
interface JStatSubset {
  chisquare: { cdf(x: number, dof: number): number };
  normal: { inv(p: number, mean: number, std: number): number };
  studentt: { inv(p: number, dof: number): number };
}

const { jStat } = createRequire(import.meta.url)("jstat") as { jStat: JStatSubset };

/** P(X >= x) for X ~ chi-squared(dof). Below about 1e-16 the result rounds to 0. */
export function chiSquaredSurvival(x: number, dof: number): number {
  if (!(x > 0)) return 1;
  return Math.min(1, Math.max(0, 1 - jStat.chisquare.cdf(x, dof)));
}

/** The p-quantile of the standard normal distribution. */
export function normalQuantile(p: number): number {
  return jStat.normal.inv(p, 0, 1);
}

/** The p-quantile of Student's t with `dof` degrees of freedom (normal when dof is infinite). */
export function studentTQuantile(p: number, dof: number): number {
  if (!Number.isFinite(dof) || dof > 1e7) return normalQuantile(p);
  return jStat.studentt.inv(p, dof);
}
