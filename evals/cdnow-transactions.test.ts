import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.js";
import { formatDay, parseCdnowTransactions, parseDay, summarizeCdnow } from "./cdnow-transactions.js";

const SAMPLE = [
  " 00004 0001 19970101  2   29.33",
  " 00004 0001 19970118  2   29.73",
  " 00004 0001 19970118  1   10.00", // same day: one purchase of 39.73
  " 00004 0001 19970802  1   14.96",
  " 00004 0001 19971212  2   26.48",
  " 00021 0002 19970101  3   63.34",
  "",
].join("\r\n");

const MASTER = ["1 19970101 1 11.77", "1 19970301 2 20.00", "2 19971005 1 5.00", "3 19970215 1 0.00"].join("\n");

function errorOf(fn: () => unknown): InputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    return err as InputError;
  }
  throw new Error("expected an InputError");
}

describe("parseCdnowTransactions", () => {
  it("reads the 5-column sample layout (CRLF) keeping the master id", () => {
    const { layout, transactions } = parseCdnowTransactions(SAMPLE);
    expect(layout).toBe("sample");
    expect(transactions).toHaveLength(6);
    expect(transactions[0]).toEqual({ customerId: "00004", day: parseDay("19970101"), cds: 2, dollars: 29.33 });
  });

  it("reads the 4-column master layout", () => {
    const { layout, transactions } = parseCdnowTransactions(MASTER);
    expect(layout).toBe("master");
    expect(transactions.map((t) => t.customerId)).toEqual(["1", "1", "2", "3"]);
    expect(transactions[3].dollars).toBe(0);
  });

  it("names the line of a bad date, count or amount", () => {
    expect(errorOf(() => parseCdnowTransactions("1 19970101 1 1.00\n\n1 19970230 1 1.00", "f.txt")).message).toBe(
      'f.txt: line 3: date "19970230" is not a valid YYYYMMDD date',
    );
    expect(errorOf(() => parseCdnowTransactions("1 19970101 x 1.00")).message).toMatch(/line 1: number of CDs "x"/);
    expect(errorOf(() => parseCdnowTransactions("1 19970101 1 -2")).message).toMatch(/line 1: dollar value "-2"/);
    expect(errorOf(() => parseCdnowTransactions("1 A 19970101 1 2.00")).message).toMatch(/line 1: sample id "A"/);
    expect(errorOf(() => parseCdnowTransactions("1 1997-01-01 1 2.00")).message).toMatch(/line 1: date "1997-01-01"/);
  });

  it("refuses a line whose column count differs from the layout, an unknown layout and an empty file", () => {
    expect(errorOf(() => parseCdnowTransactions("1 0001 19970101 1 1.00\n1 19970101 1 1.00")).message).toMatch(
      /line 2: 4 columns, but the file's first line set the sample layout \(5 columns\)/,
    );
    expect(errorOf(() => parseCdnowTransactions("1,19970101,1,1.00")).message).toMatch(/line 1: 1 columns; expected 5 columns/);
    expect(errorOf(() => parseCdnowTransactions(" \n\n")).message).toMatch(/no transactions/);
  });
});

describe("summarizeCdnow", () => {
  it("counts same-day transactions as one purchase and splits calibration from holdout", () => {
    const { transactions } = parseCdnowTransactions(SAMPLE);
    const s = summarizeCdnow(transactions, { calibrationEnd: "1997-09-30", holdoutWeeks: 39 });
    expect(s.holdoutEnd).toBe("1998-06-30");
    const c = s.customers.find((v) => v.customerId === "00004");
    expect(c).toMatchObject({ x: 2, holdoutPurchases: 1, holdoutSpend: 26.48 });
    expect(c?.tx).toBeCloseTo(213 / 7, 12);
    expect(c?.T).toBeCloseTo(272 / 7, 12);
    expect(c?.averageRepeatSpend).toBeCloseTo((39.73 + 14.96) / 2, 12); // the first purchase is not a repeat
    expect(s.customers.find((v) => v.customerId === "00021")).toMatchObject({ x: 0, tx: 0, averageRepeatSpend: null, holdoutPurchases: 0 });
  });

  it("leaves out customers who first buy after calibration, and rejects a bad calibration date", () => {
    const { transactions } = parseCdnowTransactions(MASTER);
    const s = summarizeCdnow(transactions, { calibrationEnd: "19970930", holdoutWeeks: 39 });
    expect(s.customers.map((c) => c.customerId)).toEqual(["1", "3"]);
    expect(s.excludedCustomers).toBe(1);
    expect(() => summarizeCdnow(transactions, { calibrationEnd: "1997-13-01", holdoutWeeks: 39 })).toThrow(InputError);
  });

  it("on the CDNOW sample: 2,357 customers, 946 repeat buyers, the published example customer, 1,882 holdout purchases", () => {
    const text = readFileSync(new URL("./data/cdnow/CDNOW_sample.txt", import.meta.url), "utf8");
    const s = summarizeCdnow(parseCdnowTransactions(text).transactions, { calibrationEnd: "1997-09-30", holdoutWeeks: 39 });
    expect(s.customers).toHaveLength(2357);
    expect(s.customers.filter((c) => c.x > 0)).toHaveLength(946);
    const first = s.customers[0];
    expect([first.customerId, first.x, first.tx.toFixed(2), first.T.toFixed(2)]).toEqual(["00004", 2, "30.43", "38.86"]);
    expect(s.customers.reduce((n, c) => n + c.holdoutPurchases, 0)).toBe(1882);
  });

  it("formats and parses days symmetrically", () => {
    expect(formatDay(parseDay("1998-06-30") as number)).toBe("1998-06-30");
    expect(parseDay("19980229")).toBeUndefined();
  });
});
