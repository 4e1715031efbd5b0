import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hungarian } from "./segment-hungarian.js";

function bruteForce(cost: number[][]): number {
  const rows = cost.length;
  const cols = cost[0].length;
  let best = Infinity;
  const used = new Array<boolean>(cols).fill(false);
  const go = (i: number, acc: number, assigned: number): void => {
    if (i === rows) {
      if (assigned === Math.min(rows, cols)) best = Math.min(best, acc);
      return;
    }
    if (rows - i > cols - assigned) go(i + 1, acc, assigned); // this row may stay unassigned
    for (let j = 0; j < cols; j++) {
      if (used[j]) continue;
      used[j] = true;
      go(i + 1, acc + cost[i][j], assigned + 1);
      used[j] = false;
    }
  };
  go(0, 0, 0);
  return best;
}

const total = (cost: number[][], a: number[]): number => a.reduce((s, j, i) => (j >= 0 ? s + cost[i][j] : s), 0);

describe("hungarian", () => {
  it("solves a known 3 × 3 case", () => {
    const cost = [
      [4, 1, 3],
      [2, 0, 5],
      [3, 2, 2],
    ];
    expect(hungarian(cost)).toEqual([1, 0, 2]);
  });

  it("finds the minimum-cost assignment on rectangular matrices (property, vs brute force)", () => {
    const matrix = fc
      .tuple(fc.integer({ min: 1, max: 5 }), fc.integer({ min: 1, max: 5 }))
      .chain(([r, c]) =>
        fc.array(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: c, maxLength: c }), { minLength: r, maxLength: r }),
      );
    fc.assert(
      fc.property(matrix, (cost) => {
        const a = hungarian(cost);
        const cols = a.filter((j) => j >= 0);
        expect(new Set(cols).size).toBe(cols.length);
        expect(cols.length).toBe(Math.min(cost.length, cost[0].length));
        expect(total(cost, a)).toBe(bruteForce(cost));
      }),
      { numRuns: 300, seed: 11 },
    );
  });

  it("handles empty input", () => {
    expect(hungarian([])).toEqual([]);
  });
});
