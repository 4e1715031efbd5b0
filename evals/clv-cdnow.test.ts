import { describe, expect, it } from "vitest";
import { InputError } from "../core/errors.js";
import { evaluateClvOnCdnow, evaluateClvOnCdnowText } from "./clv-cdnow.js";

// A small synthetic log in the 4-column master layout: 40 customers, some repeat buyers, some lapsed.
function syntheticLog(): string {
  const lines: string[] = [];
  const day = (offset: number) => {
    const d = new Date(Date.UTC(1997, 0, 1 + offset));
    return d.toISOString().slice(0, 10).replaceAll("-", "");
  };
  for (let id = 1; id <= 40; id++) {
    const first = id % 60;
    lines.push(`${id} ${day(first)} 1 ${(10 + id).toFixed(2)}`);
    const repeats = id % 5;
    for (let k = 1; k <= repeats; k++) lines.push(`${id} ${day(first + k * (20 + (id % 7)))} 1 ${(8 + k + (id % 9)).toFixed(2)}`);
    if (id % 3 === 0) lines.push(`${id} ${day(300 + id)} 2 25.00`);
  }
  return lines.join("\n");
}

describe("evaluateClvOnCdnowText", () => {
  it("fits, predicts the holdout and compares with what customers bought", () => {
    const r = evaluateClvOnCdnowText(syntheticLog(), { horizonWeeks: 39, margin: 0.3 }, "synthetic");
    expect(r.layout).toBe("master");
    expect(r.customers).toBe(40);
    expect(r.holdout.actualPurchases).toBe(13);
    expect(r.holdout.predictedPurchases).toBeGreaterThan(0);
    expect(r.rows).toHaveLength(40);
    expect(r.holdout.byCalibrationPurchases.reduce((n, b) => n + b.customers, 0)).toBe(40);
    expect(r.holdoutTruncated).toBe(true); // the synthetic log ends before 1998-06-30
    for (const row of r.rows) {
      expect(row.pAlive).toBeGreaterThan(0);
      expect(row.clv).not.toBeNull();
    }
  });

  it("rejects a calibration end before any first purchase, and an unreadable file", async () => {
    expect(() => evaluateClvOnCdnowText(syntheticLog(), { calibrationEnd: "1996-12-31" })).toThrow(/no customer made a first purchase/);
    await expect(evaluateClvOnCdnow("/nonexistent/cdnow.txt")).rejects.toBeInstanceOf(InputError);
  });
});
