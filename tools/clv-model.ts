import { z } from "zod";
import { type BgnbdParams, bgnbdLogLikelihood, expectedPurchases, fitBgnbd, probabilityAlive, type RfmSummary } from "./clv-bgnbd.js";
import { conditionalExpectedSpend, fitGammaGamma, type GammaGammaParams, gammaGammaLogLikelihood } from "./clv-gamma-gamma.js";

/**
 * The CLV model without its agent-tool wrapper (tools/clv.ts), so a worker thread can load it alone
 * (see clv-thread.ts).
 *
 * Customer lifetime value for non-contractual retail: BG/NBD for how many purchases a customer
 * will make and whether they are still active, Gamma-Gamma for how much each purchase is worth.
 * CLV = margin × E[spend per purchase] × Σ_k (E[purchases in week k]) / (1 + d)^k over the
 * horizon, with d the weekly rate equivalent to the annual discount rate.
 */

export { bgnbdLogLikelihood, expectedPurchases, expectedPurchasesNewCustomer, fitBgnbd, probabilityAlive } from "./clv-bgnbd.js";
export type { BgnbdFit, BgnbdParams, RfmSummary } from "./clv-bgnbd.js";
export { conditionalExpectedSpend, fitGammaGamma, gammaGammaLogLikelihood } from "./clv-gamma-gamma.js";
export type { GammaGammaFit, GammaGammaParams, SpendSummary } from "./clv-gamma-gamma.js";

const positive = z.number().positive().finite();

export const clvCustomerSchema = z
  .object({
    id: z.string().min(1).max(128),
    /** Repeat purchases in the calibration period (purchases after the first). */
    x: z.number().int().min(0),
    /** Weeks from the first purchase to the last repeat purchase (0 if x = 0). */
    tx: z.number().min(0).finite(),
    /** Weeks from the first purchase to the end of the calibration period. */
    T: z.number().min(0).finite(),
    /** Mean value of the repeat purchases in calibration; omit when x = 0. */
    averageSpend: z.number().min(0).finite().optional(),
  })
  .refine((c) => c.tx <= c.T + 1e-9, { message: "tx must not exceed T", path: ["tx"] })
  .refine((c) => c.x > 0 || c.tx === 0, { message: "tx must be 0 when x is 0", path: ["tx"] });
export type ClvCustomer = z.infer<typeof clvCustomerSchema>;

export const bgnbdParamsSchema = z.object({ r: positive, alpha: positive, a: positive, b: positive });
export const gammaGammaParamsSchema = z.object({ p: positive, q: positive, gamma: positive });

export const clvInputSchema = z.object({
  customers: z.array(clvCustomerSchema).min(1),
  /** Weeks ahead to predict purchases and value over. */
  horizonWeeks: z.number().positive().max(520).default(52),
  /** Gross margin as a fraction of spend. Default 1: CLV in revenue terms; pass the retailer's margin. */
  margin: z.number().min(0).max(1).default(1),
  /** Annual discount rate, applied weekly as (1 + rate)^(1/52) - 1. */
  annualDiscountRate: z.number().min(0).max(1).default(0.1),
  /**
   * Fit on at most this many customers, an even spread by position (every customer is still scored):
   * the likelihood of a million customers is evaluated a thousand times and more by the fit, and a
   * spread of tens of thousands gives the same parameters to a few digits. Absent: fit on everyone.
   */
  fitSampleSize: z.number().int().min(100).optional(),
  /** Fitted parameters to reuse (e.g. from a larger population); fitted on `customers` when absent. */
  bgnbd: bgnbdParamsSchema.optional(),
  gammaGamma: gammaGammaParamsSchema.optional(),
});
export type ClvInput = z.input<typeof clvInputSchema>;

const finite = z.number().finite();
export const clvOutputSchema = z.object({
  /** `fitted` is false when the parameters were given; the log-likelihood is of the input customers either way. */
  bgnbd: z.object({ params: bgnbdParamsSchema, logLikelihood: finite, fitted: z.boolean() }),
  /** Null when no parameters were given and no customer has x > 0 and a positive average spend to fit on. */
  gammaGamma: z
    .object({ params: gammaGammaParamsSchema, logLikelihood: finite.nullable(), fitted: z.boolean(), customers: z.number().int().min(0) })
    .nullable(),
  horizonWeeks: positive,
  customers: z.array(
    z.object({
      id: z.string(),
      expectedPurchases: finite.min(0),
      pAlive: z.number().min(0).max(1),
      /** Expected value per future purchase; null without a Gamma-Gamma model. */
      expectedSpend: finite.nullable(),
      /** Discounted expected margin over the horizon; null without a Gamma-Gamma model. */
      clv: finite.nullable(),
    }),
  ),
  totals: z.object({ expectedPurchases: finite, clv: finite.nullable() }),
});
export type ClvOutput = z.infer<typeof clvOutputSchema>;

/** The weekly rate equivalent to an annual one. */
export function weeklyDiscountRate(annualRate: number): number {
  return (1 + annualRate) ** (1 / 52) - 1;
}

/**
 * Σ_k [E[Y(t_k)] - E[Y(t_{k-1})]] / (1 + d)^{t_k} over weekly steps t_k up to the horizon (the last
 * step partial when the horizon is not whole weeks): each week's expected purchases discounted
 * to now, valued at the end of the week they fall in.
 */
export function discountedExpectedPurchases(params: BgnbdParams, customer: RfmSummary, horizonWeeks: number, weeklyRate: number): number {
  const steps: number[] = [];
  for (let k = 1; k < horizonWeeks; k++) steps.push(k);
  steps.push(horizonWeeks);
  let total = 0;
  let previous = 0;
  for (const t of steps) {
    const cumulative = expectedPurchases(params, customer, t);
    total += (cumulative - previous) / (1 + weeklyRate) ** t;
    previous = cumulative;
  }
  return total;
}

/** At most `size` items spread evenly by position (all of them when there are no more). */
export function evenSample<T>(items: readonly T[], size: number | undefined): readonly T[] {
  if (size === undefined || items.length <= size) return items;
  const step = items.length / size;
  return Array.from({ length: size }, (_, i) => items[Math.floor(i * step)]!);
}

/** Fits (unless given) BG/NBD and Gamma-Gamma, then scores every customer. Pure and deterministic. */
export function computeClv(raw: ClvInput): ClvOutput {
  const input = clvInputSchema.parse(raw);
  const fitOn = evenSample(input.customers, input.fitSampleSize);
  const bgnbdFit = input.bgnbd
    ? { params: input.bgnbd, logLikelihood: bgnbdLogLikelihood(input.bgnbd, input.customers), fitted: false }
    : (({ params, logLikelihood }) => ({ params, logLikelihood, fitted: true }))(fitBgnbd(fitOn));

  // Given parameters are scored on everyone; fitted ones on the customers fitted on.
  const spenders = (input.gammaGamma ? input.customers : fitOn)
    .filter((c) => c.x > 0 && c.averageSpend !== undefined && c.averageSpend > 0)
    .map((c) => ({ x: c.x, averageSpend: c.averageSpend as number }));
  let gammaGamma: ClvOutput["gammaGamma"] = null;
  if (input.gammaGamma) {
    const ll = spenders.length > 0 ? gammaGammaLogLikelihood(input.gammaGamma, spenders) : null;
    gammaGamma = { params: input.gammaGamma, logLikelihood: ll, fitted: false, customers: spenders.length };
  } else if (spenders.length > 0) {
    const fit = fitGammaGamma(spenders);
    gammaGamma = { params: fit.params, logLikelihood: fit.logLikelihood, fitted: true, customers: fit.customers };
  }

  const weekly = weeklyDiscountRate(input.annualDiscountRate);
  // Customers with the same (x, t_x, T) have the same purchase figures: computed once per summary.
  const purchases = new Map<string, { expected: number; pAlive: number; discounted: number | undefined }>();
  const purchasesOf = (c: RfmSummary) => {
    const key = `${c.x}|${c.tx}|${c.T}`;
    let p = purchases.get(key);
    if (!p) {
      p = {
        expected: expectedPurchases(bgnbdFit.params, c, input.horizonWeeks),
        pAlive: probabilityAlive(bgnbdFit.params, c),
        discounted: undefined,
      };
      purchases.set(key, p);
    }
    return p;
  };
  const customers = input.customers.map((c) => {
    const spend = gammaGamma ? conditionalExpectedSpend(gammaGamma.params, c.x, c.averageSpend) : Number.NaN;
    const expectedSpend = Number.isFinite(spend) ? spend : null;
    const p = purchasesOf(c);
    if (expectedSpend !== null) p.discounted ??= discountedExpectedPurchases(bgnbdFit.params, c, input.horizonWeeks, weekly);
    return {
      id: c.id,
      expectedPurchases: p.expected,
      pAlive: p.pAlive,
      expectedSpend,
      clv: expectedSpend === null ? null : input.margin * expectedSpend * p.discounted!,
    };
  });
  const clvs = customers.map((c) => c.clv);
  return {
    bgnbd: bgnbdFit,
    gammaGamma,
    horizonWeeks: input.horizonWeeks,
    customers,
    totals: {
      expectedPurchases: customers.reduce((s, c) => s + c.expectedPurchases, 0),
      clv: clvs.every((v) => v !== null) ? clvs.reduce((s: number, v) => s + (v as number), 0) : null,
    },
  };
}
