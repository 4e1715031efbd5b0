import { readFile } from "node:fs/promises";
import { InputError } from "../core/errors.js";
import { computeClv, type ClvOutput } from "../tools/clv.js";
import { formatDay, parseCdnowTransactions, summarizeCdnow, type CdnowLayout } from "./cdnow-transactions.js";

/**
 * The CLV tool on the CDNOW sample: fit on the calibration period, predict each customer's repeat
 * purchases over the holdout period that follows, and compare with what they actually bought.
 */

export interface ClvCdnowOptions {
  /** Last day of calibration, inclusive. Default 1997-09-30 (the published analysis). */
  calibrationEnd?: string;
  /** Prediction horizon = holdout length in weeks. Default 39. */
  horizonWeeks?: number;
  /** Gross margin as a fraction of spend for CLV. Default 1 (CLV in revenue terms). */
  margin?: number;
  /** Annual discount rate for CLV. Default 0.1. */
  annualDiscountRate?: number;
}

export interface ClvCdnowRow {
  id: string;
  x: number;
  tx: number;
  T: number;
  expectedPurchases: number;
  pAlive: number;
  expectedSpend: number | null;
  clv: number | null;
  actualHoldoutPurchases: number;
}

export interface ClvCdnowReport {
  source: string;
  layout: CdnowLayout;
  customers: number;
  excludedCustomers: number;
  calibrationEnd: string;
  holdoutEnd: string;
  /** True when the data end before the holdout does, so actual counts are incomplete. */
  holdoutTruncated: boolean;
  horizonWeeks: number;
  margin: number;
  annualDiscountRate: number;
  bgnbd: ClvOutput["bgnbd"];
  gammaGamma: ClvOutput["gammaGamma"];
  holdout: {
    predictedPurchases: number;
    actualPurchases: number;
    /** Mean over customers of |predicted - actual| holdout purchases. */
    meanAbsoluteError: number;
    rootMeanSquaredError: number;
    /** Mean predicted vs actual holdout purchases by calibration repeat count (7 = 7 or more), as in FHL 2005 fig. 4. */
    byCalibrationPurchases: { x: string; customers: number; predictedMean: number; actualMean: number }[];
  };
  totalClv: number | null;
  rows: ClvCdnowRow[];
}

export function evaluateClvOnCdnowText(text: string, options: ClvCdnowOptions = {}, source = "input"): ClvCdnowReport {
  const calibrationEnd = options.calibrationEnd ?? "1997-09-30";
  const horizonWeeks = options.horizonWeeks ?? 39;
  const margin = options.margin ?? 1;
  const annualDiscountRate = options.annualDiscountRate ?? 0.1;
  const parsed = parseCdnowTransactions(text, source);
  const summary = summarizeCdnow(parsed.transactions, { calibrationEnd, holdoutWeeks: horizonWeeks });
  if (summary.customers.length === 0) throw new InputError(`${source}: no customer made a first purchase by ${summary.calibrationEnd}`);
  const lastDay = parsed.transactions.reduce((m, t) => Math.max(m, t.day), Number.NEGATIVE_INFINITY);

  const result = computeClv({
    customers: summary.customers.map((c) => ({
      id: c.customerId,
      x: c.x,
      tx: c.tx,
      T: c.T,
      ...(c.averageRepeatSpend !== null ? { averageSpend: c.averageRepeatSpend } : {}),
    })),
    horizonWeeks,
    margin,
    annualDiscountRate,
  });

  const rows: ClvCdnowRow[] = summary.customers.map((c, i) => {
    const scored = result.customers[i];
    return {
      id: c.customerId,
      x: c.x,
      tx: c.tx,
      T: c.T,
      expectedPurchases: scored.expectedPurchases,
      pAlive: scored.pAlive,
      expectedSpend: scored.expectedSpend,
      clv: scored.clv,
      actualHoldoutPurchases: c.holdoutPurchases,
    };
  });

  const n = rows.length;
  const errors = rows.map((r) => r.expectedPurchases - r.actualHoldoutPurchases);
  const buckets = new Map<number, { customers: number; predicted: number; actual: number }>();
  for (const r of rows) {
    const key = Math.min(r.x, 7);
    const b = buckets.get(key) ?? { customers: 0, predicted: 0, actual: 0 };
    b.customers++;
    b.predicted += r.expectedPurchases;
    b.actual += r.actualHoldoutPurchases;
    buckets.set(key, b);
  }

  return {
    source,
    layout: parsed.layout,
    customers: n,
    excludedCustomers: summary.excludedCustomers,
    calibrationEnd: summary.calibrationEnd,
    holdoutEnd: summary.holdoutEnd,
    holdoutTruncated: formatDay(lastDay) < summary.holdoutEnd,
    horizonWeeks,
    margin,
    annualDiscountRate,
    bgnbd: result.bgnbd,
    gammaGamma: result.gammaGamma,
    holdout: {
      predictedPurchases: result.totals.expectedPurchases,
      actualPurchases: rows.reduce((s, r) => s + r.actualHoldoutPurchases, 0),
      meanAbsoluteError: errors.reduce((s, e) => s + Math.abs(e), 0) / n,
      rootMeanSquaredError: Math.sqrt(errors.reduce((s, e) => s + e * e, 0) / n),
      byCalibrationPurchases: [...buckets.entries()]
        .sort(([u], [v]) => u - v)
        .map(([x, b]) => ({
          x: x === 7 ? "7+" : String(x),
          customers: b.customers,
          predictedMean: b.predicted / b.customers,
          actualMean: b.actual / b.customers,
        })),
    },
    totalClv: result.totals.clv,
    rows,
  };
}

/** Reads a CDNOW file (either layout) and evaluates; for `pulse eval clv` and `npm run eval`. */
export async function evaluateClvOnCdnow(path: string, options: ClvCdnowOptions = {}): Promise<ClvCdnowReport> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return evaluateClvOnCdnowText(text, options, path);
}
