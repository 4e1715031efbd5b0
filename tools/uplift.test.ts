import { readFileSync } from "node:fs";
import { uniformFloat64 } from "pure-rand/distribution/uniformFloat64";
import { xoroshiro128plus } from "pure-rand/generator/xoroshiro128plus";
import { describe, expect, it } from "vitest";
import { hillstromUpliftRows, parseHillstromCsv } from "../evals/hillstrom.js";
import { qiniCoefficient } from "./uplift-metrics.js";
import {
  createUpliftTool,
  pairwise,
  predictUplift,
  trainUplift,
  upliftMethods,
  UpliftModelSchema,
  upliftTool,
  type UpliftRow,
} from "./uplift.js";

/**
 * Randomised test, 60% treated. Treatment adds 0.25 to P(y) when x0 > 0 and removes 0.08 when
 * x1 > 0.5 and x0 <= 0 ("sleeping dogs"); x2, x3 are noise.
 */
function synthetic(n: number, seed: number): { rows: UpliftRow[]; tau: number[] } {
  const rng = xoroshiro128plus(seed);
  const rows: UpliftRow[] = [];
  const tau: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = [uniformFloat64(rng) * 2 - 1, uniformFloat64(rng), uniformFloat64(rng), uniformFloat64(rng) < 0.5 ? 1 : 0];
    const effect = x[0] > 0 ? 0.25 : x[1] > 0.5 ? -0.08 : 0;
    const treated = uniformFloat64(rng) < 0.6;
    const p = 0.15 + 0.1 * x[2] + (treated ? effect : 0);
    rows.push({ features: x, treated, outcome: uniformFloat64(rng) < p ? 1 : 0 });
    tau.push(effect);
  }
  return { rows, tau };
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe("trainUplift / predictUplift on synthetic data with a known effect", () => {
  const train = synthetic(6000, 11);
  const test = synthetic(3000, 12);
  const testX = test.rows.map((r) => r.features);

  for (const method of upliftMethods) {
    it(`${method} finds who is persuadable and who is a sleeping dog`, () => {
      const uplift = predictUplift(trainUplift({ rows: train.rows, method, seed: 1 }), testX);
      const pos = uplift.filter((_, i) => test.tau[i] > 0);
      const neg = uplift.filter((_, i) => test.tau[i] < 0);
      const zero = uplift.filter((_, i) => test.tau[i] === 0);
      expect(mean(pos)).toBeGreaterThan(0.15);
      expect(mean(pos)).toBeGreaterThan(mean(zero) + 0.1);
      expect(mean(neg)).toBeLessThan(mean(zero));
      expect(mean(neg)).toBeLessThan(0);
      // The ranking on held-out data approaches the true-effect ranking's Qini.
      const treated = test.rows.map((r) => r.treated);
      const y = test.rows.map((r) => r.outcome);
      const model = qiniCoefficient(uplift, treated, y).qini;
      const truth = qiniCoefficient(test.tau, treated, y).qini;
      expect(model).toBeGreaterThan(0.6 * truth);
    });
  }

  it("models are plain JSON: a stored and reloaded model predicts the same", () => {
    const model = trainUplift({ rows: train.rows, method: "x-learner", seed: 1, effectInteractions: "pairwise", bags: 2 });
    const reloaded = UpliftModelSchema.parse(JSON.parse(JSON.stringify(model)));
    expect(predictUplift(reloaded, testX.slice(0, 50))).toEqual(predictUplift(model, testX.slice(0, 50)));
  });

  it("bagging is seeded: same seed, same model; another seed, another model", () => {
    const rows = train.rows.slice(0, 1500);
    const a = predictUplift(trainUplift({ rows, method: "t-learner", seed: 5, bags: 3 }), testX.slice(0, 20));
    const b = predictUplift(trainUplift({ rows, method: "t-learner", seed: 5, bags: 3 }), testX.slice(0, 20));
    const c = predictUplift(trainUplift({ rows, method: "t-learner", seed: 6, bags: 3 }), testX.slice(0, 20));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });

  it("uses linear outcome models for a continuous outcome (spend-like)", () => {
    const rows = train.rows.map((r) => ({ ...r, outcome: r.outcome * (20 + 10 * r.features[2]) }));
    const model = trainUplift({ rows, method: "t-learner" });
    expect(model.outcomeKind).toBe("continuous");
    const uplift = predictUplift(model, testX);
    expect(mean(uplift.filter((_, i) => test.tau[i] > 0))).toBeGreaterThan(mean(uplift.filter((_, i) => test.tau[i] <= 0)) + 2);
  });

  it("rejects ragged rows, a missing arm and the wrong feature count", () => {
    expect(() => trainUplift({ rows: [...train.rows.slice(0, 10), { features: [1], treated: true, outcome: 0 }] })).toThrow(/features/);
    expect(() => trainUplift({ rows: train.rows.filter((r) => r.treated) })).toThrow(/control/);
    const model = trainUplift({ rows: train.rows.slice(0, 500), method: "t-learner" });
    expect(() => predictUplift(model, [[1, 2]])).toThrow(/expects 4/);
  });
});

describe("pairwise", () => {
  it("appends every product of two distinct entries", () => {
    expect(pairwise([2, 3, 5])).toEqual([2, 3, 5, 6, 10, 15]);
  });
});

describe("on the Hillstrom sample", () => {
  const file = parseHillstromCsv(readFileSync(new URL("../evals/data/hillstrom/sample.csv", import.meta.url), "utf8"));

  it("predicts a positive average effect of any e-mail on visits, near the observed one", () => {
    const rows = hillstromUpliftRows(file, "any", "visit");
    const uplift = predictUplift(
      trainUplift({ rows, method: "t-learner" }),
      rows.map((r) => r.features),
    );
    const observed = mean(rows.filter((r) => r.treated).map((r) => r.outcome)) - mean(rows.filter((r) => !r.treated).map((r) => r.outcome));
    expect(observed).toBeGreaterThan(0.02);
    expect(mean(uplift)).toBeCloseTo(observed, 1);
    expect(uplift.every(Number.isFinite)).toBe(true);
  });
});

describe("upliftTool", () => {
  const { rows } = synthetic(800, 21);

  it("trains, scores and summarises through its schemas", () => {
    const out = upliftTool.run({
      train: { rows, method: "t-learner" },
      score: [
        [0.5, 0, 0.5, 0],
        [-0.5, 0.9, 0.5, 0],
      ],
    });
    expect(out.uplift).toHaveLength(2);
    expect(out.uplift[0]).toBeGreaterThan(out.uplift[1]);
    expect(out.summary.treatedRows + out.summary.controlRows).toBe(800);
    expect(out.model.method).toBe("t-learner");
  });

  it("is exposed to agents, optionally by test id through a loader", async () => {
    const direct = createUpliftTool();
    expect(direct.name).toBe("uplift_model");
    const byId = createUpliftTool({ loadTest: async () => ({ rows, score: [[0.5, 0, 0.5, 0]] }) });
    const result = JSON.parse(String(await byId.invoke({ testId: "t1", method: "t-learner" }))) as { uplift: number[] };
    expect(result.uplift).toHaveLength(1);
    expect(result.uplift[0]).toBeGreaterThan(0);
  });
});
