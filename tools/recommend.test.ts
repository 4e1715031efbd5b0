import { describe, expect, it } from "vitest";
import { Matrix } from "ml-matrix";
import fc from "fast-check";
import { fitRecommender, recommend, recommendConfigSchema, topK, type OrderLine } from "./recommend.js";

const line = (customerId: string, sku: string, category = sku.slice(0, 1)): OrderLine => ({ customerId, sku, category });

/** Customers who buy a1 also buy b1; b1's partner is rarer than the best seller p1, which everyone buys. */
function pairedLines(): OrderLine[] {
  const lines: OrderLine[] = [];
  for (let c = 0; c < 40; c++) {
    const id = `c${c}`;
    lines.push(line(id, "p1"));
    if (c < 12) lines.push(line(id, "a1"), line(id, "b1"));
    else if (c < 30) lines.push(line(id, "x1"), line(id, "y1"));
    else lines.push(line(id, "x1"));
  }
  lines.push(line("new", "a1"));
  return lines;
}

describe("recommend", () => {
  for (const method of ["ease", "cooccurrence"] as const) {
    it(`${method}: recommends what is co-bought with the customer's items, not merely the best seller`, () => {
      const out = recommend({ lines: pairedLines(), customerIds: ["new"], config: { method, k: 3 } });
      const r = out.recommendations[0];
      expect(r.source).toBe("model");
      expect(r.items[0].sku).toBe("b1");
      expect(r.category).toBe("b");
      expect(r.items.map((i) => i.sku)).not.toContain("a1");
    });
  }

  it("popularity recommends the best sellers the customer does not have, and is the fallback without lines", () => {
    const out = recommend({ lines: pairedLines(), customerIds: ["new", "stranger"], config: { method: "popularity", k: 2 } });
    expect(out.recommendations[0].items.map((i) => i.sku)).toEqual(["p1", "x1"]);
    const ease = recommend({ lines: pairedLines(), customerIds: ["stranger"], config: { k: 2 } });
    expect(ease.recommendations[0].source).toBe("popularity");
    expect(ease.recommendations[0].items.map((i) => i.sku)).toEqual(["p1", "x1"]);
  });

  it("keeps seen SKUs when asked and returns at most k", () => {
    const out = recommend({ lines: pairedLines(), customerIds: ["c0"], config: { method: "popularity", k: 2, excludeSeen: false } });
    expect(out.recommendations[0].items.map((i) => i.sku)).toEqual(["p1", "x1"]);
    const ex = recommend({ lines: pairedLines(), customerIds: ["c0"], config: { method: "popularity", k: 2 } });
    expect(ex.recommendations[0].items.map((i) => i.sku)).toEqual(["x1", "y1"]);
  });

  it("EASE's weights solve its ridge regression with a zero diagonal: (G + λI)B − G is zero off the diagonal", () => {
    const lines: OrderLine[] = [];
    for (let c = 0; c < 60; c++) for (let i = 0; i < 6; i++) if ((c * 7 + i * 13) % 5 < 2 + (i % 2)) lines.push(line(`c${c}`, `s${i}`));
    const config = recommendConfigSchema.parse({ lambda: 3 });
    const model = fitRecommender(lines, config);
    const n = model.skus.length;
    const x = new Matrix(model.baskets.size, n);
    [...model.baskets.values()].forEach((basket, u) => basket.forEach((i) => x.set(u, i, 1)));
    const g = x.transpose().mmul(x);
    const b = new Matrix(n, n);
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) b.set(i, j, model.weights![i * n + j]);
    const residual = g.clone().add(Matrix.eye(n, n).mul(3)).mmul(b).sub(g);
    for (let i = 0; i < n; i++) {
      expect(b.get(i, i)).toBe(0);
      for (let j = 0; j < n; j++) if (i !== j) expect(Math.abs(residual.get(i, j))).toBeLessThan(1e-9);
    }
  });

  it("is deterministic whatever the order of the lines", () => {
    const lines = pairedLines();
    const a = recommend({ lines, config: { k: 4 } });
    const b = recommend({ lines: [...lines].reverse(), config: { k: 4 } });
    const byId = (o: typeof a) => new Map(o.recommendations.map((r) => [r.customerId, r.items.map((i) => i.sku)]));
    expect(byId(b)).toEqual(byId(a));
  });

  it("topK keeps the k best by score, ties by index, skipping what it is told, as sorting everything would", () => {
    const bySort = (scores: Float64Array, k: number, skip: ReadonlySet<number>) =>
      [...scores.keys()]
        .filter((i) => !skip.has(i))
        .sort((a, b) => scores[b]! - scores[a]! || a - b)
        .slice(0, k);
    fc.assert(
      fc.property(
        // Few distinct values, so ties are common.
        fc.array(fc.integer({ min: -3, max: 3 }), { maxLength: 40 }),
        fc.integer({ min: 0, max: 8 }),
        fc.array(fc.nat(45), { maxLength: 10 }),
        (values, k, skipped) => {
          const scores = Float64Array.from(values, (v) => v / 2);
          const skip = new Set(skipped);
          expect(topK(scores, k, skip)).toEqual(bySort(scores, k, skip));
        },
      ),
    );
  });
});
