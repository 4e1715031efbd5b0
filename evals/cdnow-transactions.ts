import { InputError } from "../core/errors.js";

/**
 * The CDNOW purchase logs (Fader, Hardie & Lee 2005), in either published layout:
 *   sample (5 columns): master id, sample id (1-2357), date YYYYMMDD, number of CDs, dollars
 *   master (4 columns): id, date YYYYMMDD, number of CDs, dollars
 * Whitespace-separated, CRLF or LF. Pure: takes the file's text, returns data or throws InputError.
 */

export type CdnowLayout = "sample" | "master";

export interface CdnowTransaction {
  /** The master-file id in both layouts, as written (leading zeros kept). */
  customerId: string;
  /** Days since 1970-01-01 (UTC). */
  day: number;
  cds: number;
  dollars: number;
}

export interface ParsedCdnow {
  layout: CdnowLayout;
  transactions: CdnowTransaction[];
}

const COLUMNS: Record<CdnowLayout, number> = { sample: 5, master: 4 };
const LAYOUT_HELP = "expected 5 columns (master id, sample id, YYYYMMDD, CDs, dollars) or 4 (id, YYYYMMDD, CDs, dollars)";
const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01 of a real calendar date written YYYYMMDD or YYYY-MM-DD; undefined if it is not one. */
export function parseDay(text: string): number | undefined {
  const m = /^(\d{4})-?(\d{2})-?(\d{2})$/.exec(text);
  if (!m) return undefined;
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const ms = Date.UTC(y, mo - 1, d);
  const back = new Date(ms);
  if (back.getUTCFullYear() !== y || back.getUTCMonth() !== mo - 1 || back.getUTCDate() !== d) return undefined;
  return ms / MS_PER_DAY;
}

/** YYYY-MM-DD of a day number from parseDay. */
export function formatDay(day: number): string {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

export function parseCdnowTransactions(text: string, source = "input"): ParsedCdnow {
  let layout: CdnowLayout | undefined;
  const transactions: CdnowTransaction[] = [];
  const lines = text.split(/\r?\n/);
  const fail = (lineNo: number, message: string): never => {
    throw new InputError(`${source}: line ${lineNo}: ${message}`);
  };
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const trimmed = lines[i].trim();
    if (trimmed === "") continue;
    const cols = trimmed.split(/\s+/);
    if (layout === undefined) {
      if (cols.length === COLUMNS.sample) layout = "sample";
      else if (cols.length === COLUMNS.master) layout = "master";
      else fail(lineNo, `${cols.length} columns; ${LAYOUT_HELP}`);
    }
    const l = layout as CdnowLayout;
    if (cols.length !== COLUMNS[l])
      fail(lineNo, `${cols.length} columns, but the file's first line set the ${l} layout (${COLUMNS[l]} columns)`);
    const [customerId, dateText, cdsText, dollarsText] = l === "sample" ? [cols[0], cols[2], cols[3], cols[4]] : cols;
    if (l === "sample" && !/^\d+$/.test(cols[1])) fail(lineNo, `sample id "${cols[1]}" is not a whole number`);
    const day = parseDay(dateText);
    if (day === undefined || !/^\d{8}$/.test(dateText)) fail(lineNo, `date "${dateText}" is not a valid YYYYMMDD date`);
    if (!/^\d+$/.test(cdsText)) fail(lineNo, `number of CDs "${cdsText}" is not a whole number`);
    if (!/^\d+(\.\d+)?$/.test(dollarsText)) fail(lineNo, `dollar value "${dollarsText}" is not a non-negative number`);
    transactions.push({ customerId, day: day as number, cds: Number(cdsText), dollars: Number(dollarsText) });
  }
  if (layout === undefined) throw new InputError(`${source}: no transactions (the file is empty)`);
  return { layout, transactions };
}

export interface CdnowSummaryOptions {
  /** Last day of the calibration period, inclusive (YYYY-MM-DD or YYYYMMDD). */
  calibrationEnd: string;
  /** Length of the holdout period that follows, in weeks. */
  holdoutWeeks: number;
}

/** One customer's calibration summary (weeks = days / 7) and holdout outcome. */
export interface CdnowCustomerSummary {
  customerId: string;
  /** Repeat purchases in the calibration period: distinct purchase days after the first. */
  x: number;
  /** Weeks from the first purchase to the last calibration purchase. */
  tx: number;
  /** Weeks from the first purchase to the end of calibration. */
  T: number;
  /** Mean dollars per repeat purchase (a day's transactions summed) in calibration; null if x = 0. */
  averageRepeatSpend: number | null;
  /** Repeat purchases (distinct purchase days) in the holdout period. */
  holdoutPurchases: number;
  holdoutSpend: number;
}

export interface CdnowSummary {
  calibrationEnd: string;
  holdoutEnd: string;
  /** Customers whose first purchase is within calibration, ordered by first purchase then id. */
  customers: CdnowCustomerSummary[];
  /** Customers left out because their first purchase falls after the calibration period. */
  excludedCustomers: number;
}

/**
 * Per-customer summaries as in the classic analysis: several transactions on one day are one
 * purchase (their dollars summed). This is what reproduces the published BG/NBD and Gamma-Gamma
 * estimates; counting each transaction does not. T runs to the calibration end date itself
 * (1997-01-01 to 1997-09-30 is 272 days, T = 38.86 weeks, as in the published example customer).
 */
export function summarizeCdnow(transactions: readonly CdnowTransaction[], options: CdnowSummaryOptions): CdnowSummary {
  const calEnd = parseDay(options.calibrationEnd);
  if (calEnd === undefined) throw new InputError(`calibration end "${options.calibrationEnd}" is not a valid date (YYYY-MM-DD)`);
  if (!(options.holdoutWeeks >= 0) || !Number.isFinite(options.holdoutWeeks))
    throw new InputError(`holdout weeks must be a non-negative number, got ${options.holdoutWeeks}`);
  const holdoutEnd = calEnd + Math.round(options.holdoutWeeks * 7);

  const spendByCustomerDay = new Map<string, Map<number, number>>();
  for (const t of transactions) {
    let days = spendByCustomerDay.get(t.customerId);
    if (!days) spendByCustomerDay.set(t.customerId, (days = new Map()));
    days.set(t.day, (days.get(t.day) ?? 0) + t.dollars);
  }

  const customers: CdnowCustomerSummary[] = [];
  let excludedCustomers = 0;
  const firstDay = new Map<string, number>();
  for (const [customerId, spendByDay] of spendByCustomerDay) {
    const days = [...spendByDay.keys()].sort((u, v) => u - v);
    const first = days[0];
    if (first > calEnd) {
      excludedCustomers++;
      continue;
    }
    firstDay.set(customerId, first);
    const calibrationRepeats = days.filter((d) => d > first && d <= calEnd);
    const holdout = days.filter((d) => d > calEnd && d <= holdoutEnd);
    const x = calibrationRepeats.length;
    const last = x > 0 ? calibrationRepeats[x - 1] : first;
    customers.push({
      customerId,
      x,
      tx: (last - first) / 7,
      T: (calEnd - first) / 7,
      averageRepeatSpend: x > 0 ? calibrationRepeats.reduce((s, d) => s + (spendByDay.get(d) ?? 0), 0) / x : null,
      holdoutPurchases: holdout.length,
      holdoutSpend: holdout.reduce((s, d) => s + (spendByDay.get(d) ?? 0), 0),
    });
  }
  customers.sort(
    (u, v) =>
      (firstDay.get(u.customerId) ?? 0) - (firstDay.get(v.customerId) ?? 0) ||
      (u.customerId < v.customerId ? -1 : u.customerId > v.customerId ? 1 : 0),
  );
  return { calibrationEnd: formatDay(calEnd), holdoutEnd: formatDay(holdoutEnd), customers, excludedCustomers };
}
