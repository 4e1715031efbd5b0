import { describe, expect, it } from "vitest";
import { fitStandardizer, signedExpm1, signedLog1p, standardize, standardizerModelSchema, unstandardize } from "./features-standardize.js";

/** Deterministic pseudo-random rows: a skewed money column (some negative), a count, a constant, a rate. */
function rows(n: number): number[][] {
  let s = 7;
  const next = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return Array.from({ length: n }, () => [Math.exp(6 * next()) - 20, Math.floor(30 * next() ** 3), 5, next()]);
}
const names = ["monetary", "frequency", "constant", "open_rate_email"];

describe("standardization", () => {
  const data = rows(500);
  const model = fitStandardizer(data, names);

  it("log1p's only the named skewed columns and centres and scales each column", () => {
    expect(model.log1p).toEqual([true, true, false, false]);
    const z = standardize(model, data);
    for (const j of [0, 1, 3]) {
      const col = z.map((r) => r[j]);
      const mean = col.reduce((a, b) => a + b, 0) / col.length;
      const variance = col.reduce((a, b) => a + (b - mean) ** 2, 0) / col.length;
      expect(mean).toBeCloseTo(0, 10);
      expect(variance).toBeCloseTo(1, 10);
    }
  });

  it("is robust to zero variance: std 1, the column maps to 0", () => {
    expect(model.stds[2]).toBe(1);
    expect(standardize(model, data).every((r) => r[2] === 0)).toBe(true);
  });

  it("round-trips through JSON and back to the original units", () => {
    const reloaded = standardizerModelSchema.parse(JSON.parse(JSON.stringify(model)));
    expect(reloaded).toEqual(model);
    const z = standardize(reloaded, data);
    expect(z).toEqual(standardize(model, data));
    const back = unstandardize(reloaded, z);
    back.forEach((r, i) => r.forEach((v, j) => expect(v).toBeCloseTo(data[i][j], 8)));
  });

  it("applies the stored transform to new rows (a later refresh)", () => {
    const fresh = [[100, 3, 5, 0.5]];
    const [z] = standardize(model, fresh);
    expect(z[0]).toBeCloseTo((Math.log1p(100) - model.means[0]) / model.stds[0], 12);
    expect(z[3]).toBeCloseTo((0.5 - model.means[3]) / model.stds[3], 12);
  });

  it("signed log1p is odd and inverted by signed expm1", () => {
    for (const x of [-1000, -1, -0.5, 0, 0.5, 3, 1e6]) {
      expect(signedLog1p(-x)).toBeCloseTo(-signedLog1p(x), 12);
      expect(signedExpm1(signedLog1p(x))).toBeCloseTo(x, 6);
    }
  });

  it("rejects rows of the wrong width", () => {
    expect(() => fitStandardizer([[1, 2]], names)).toThrow(RangeError);
  });
});
