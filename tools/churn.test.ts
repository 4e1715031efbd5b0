import { describe, expect, it } from "vitest";
import {
  auc,
  buildChurnLabels,
  churnModelSchema,
  churnOutputSchema,
  createChurnTool,
  scoreChurn,
  trainChurnModel,
  type ChurnModel,
} from "./churn.js";
import { CATEGORIES } from "../ingest/formats.js";
import {
  computeFeatureMatrix,
  DAY_MS,
  FEATURE_COUNT,
  FEATURE_NAMES,
  featureRecord,
  featureRows,
  type CustomerHistory,
  type FeatureOrderLine,
  type FeatureResponse,
} from "./features.js";

const DAY0 = Date.parse("2022-01-01T00:00:00Z");
const day = (d: number) => DAY0 + d * DAY_MS;

interface World {
  histories: CustomerHistory[];
  orders: (FeatureOrderLine & { customer_id: string })[];
  /** Day the customer's cadence stopped (Infinity = steady buyer). */
  stopDay: Map<string, number>;
}

/**
 * Known churners: every customer buys on a cadence of 10-90 days (mostly short); 55% stop at a random day (their
 * cadence breaks), the rest never do. Email every 14 days, opened far more while the customer is alive.
 */
function world(n: number, seed: number): World {
  let s = seed;
  const next = () => (s = (s * 16807) % 2147483647) / 2147483647;
  const histories: CustomerHistory[] = [];
  const all: World["orders"] = [];
  const stopDay = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const id = `c${i}`;
    const signup = Math.floor(300 * next());
    const cadence = 10 + 80 * next() ** 2;
    const stop = next() < 0.45 ? Number.POSITIVE_INFINITY : signup + 60 + (700 - signup - 60) * next();
    stopDay.set(id, stop);
    const orders: FeatureOrderLine[] = [];
    let k = 0;
    for (let t = signup + cadence * next(); t < Math.min(stop, 720); t += cadence * (0.5 + next())) {
      const lines = 1 + (next() < 0.4 ? 1 : 0);
      for (let l = 0; l < lines; l++) {
        const line = {
          order_id: `${id}-o${k}`,
          customer_id: id,
          ordered_at: day(t),
          category: CATEGORIES[Math.floor(next() * CATEGORIES.length)],
          quantity: 1,
          unit_price: Math.round(1000 + 9000 * next()) / 100,
          discount: next() < 0.3 ? 2 : 0,
          margin: 3,
          status: next() < 0.05 ? ("returned" as const) : ("completed" as const),
        };
        orders.push(line);
        all.push(line);
      }
      k++;
    }
    const responses: FeatureResponse[] = [];
    for (let t = signup + 3, m = 0; t < 720; t += 14, m++) {
      const message_id = `${id}-m${m}`;
      responses.push({ message_id, channel: "email", type: "delivered", occurred_at: day(t) });
      if (next() < (t < stop ? 0.4 : 0.05)) responses.push({ message_id, channel: "email", type: "open", occurred_at: day(t + 0.2) });
    }
    histories.push({ customer: { customer_id: id, signup_at: day(signup) }, orders, responses });
  }
  return { histories, orders: all, stopDay };
}

/** Features as of `cutoff` and labels from the horizon after it, for customers who had bought before it. */
function dataset(w: World, cutoff: number) {
  const labels = buildChurnLabels(w.orders, cutoff, 90);
  const hs = w.histories.filter((h) => labels.has(h.customer.customer_id));
  const m = computeFeatureMatrix(hs, cutoff);
  return {
    ids: m.customer_ids,
    features: featureRows(m),
    labels: m.customer_ids.map((id) => labels.get(id) ?? 0),
  };
}

/** P(alive) as a CLV model might give it: informative but noisy. */
function pAliveFor(w: World, ids: string[], cutoff: number, seed: number): number[] {
  let s = seed;
  const next = () => (s = (s * 16807) % 2147483647) / 2147483647;
  return ids.map((id) => ((w.stopDay.get(id) ?? 0) > (cutoff - DAY0) / DAY_MS ? 0.5 + 0.45 * next() : 0.05 + 0.6 * next()));
}

describe("auc", () => {
  it("matches a hand-computed value with ties", () => {
    // positives 0.35, 0.8, 0.4; negatives 0.1, 0.4. Pairs won: 0.35>0.1, 0.8>0.1, 0.8>0.4, 0.4>0.1, and
    // 0.4 = 0.4 counts half: 4.5 of 6.
    expect(auc([0.1, 0.4, 0.35, 0.8, 0.4], [0, 0, 1, 1, 1])).toBeCloseTo(0.75, 12);
    expect(auc([1, 2, 3, 4], [0, 0, 1, 1])).toBe(1);
    expect(auc([1, 2, 3, 4], [1, 1, 0, 0])).toBe(0);
    expect(auc([5, 5, 5, 5], [1, 0, 1, 0])).toBe(0.5);
    expect(auc([1, 2], [1, 1])).toBeNaN();
  });
});

describe("buildChurnLabels", () => {
  it("labels customers who bought before the cutoff by whether they bought in the horizon", () => {
    const cutoff = day(100);
    const orders = [
      { customer_id: "a", ordered_at: day(50) },
      { customer_id: "a", ordered_at: day(150) }, // bought in [100, 190): 0
      { customer_id: "b", ordered_at: day(60) },
      { customer_id: "b", ordered_at: day(190) }, // at the horizon end: outside, churned
      { customer_id: "c", ordered_at: day(70) },
      { customer_id: "c", ordered_at: day(120), status: "cancelled" as const }, // not a purchase
      { customer_id: "d", ordered_at: day(130) }, // no purchase before the cutoff: not in the population
    ];
    expect(Object.fromEntries(buildChurnLabels(orders, cutoff, 90))).toEqual({ a: 0, b: 1, c: 1 });
    expect(Object.fromEntries(buildChurnLabels(orders, cutoff, 90, ["a", "d", "z"]))).toEqual({ a: 0, d: 0, z: 1 });
  });
});

describe("churn model on a time split", () => {
  const w = world(3000, 42);
  const train = dataset(w, day(450));
  const test = dataset(w, day(540));
  const model = trainChurnModel({ features: train.features, labels: train.labels, seed: 1 });
  const scores = scoreChurn(model, test.features);
  const testAuc = auc(scores, test.labels);

  it("separates stopped cadences from steady buyers: AUC well above 0.5 on the later period", () => {
    const recencyAuc = auc(
      test.features.map((r) => r[0]),
      test.labels,
    );
    console.info(
      `churn time split: train n=${model.train.n} (${model.train.positives} churned), test n=${test.labels.length}; ` +
        `AUC ${testAuc.toFixed(3)} (recency alone ${recencyAuc.toFixed(3)}), IRLS iterations ${model.train.iterations}`,
    );
    expect(model.train.converged).toBe(true);
    expect(test.labels.filter((y) => y === 1).length).toBeGreaterThan(100);
    expect(test.labels.filter((y) => y === 0).length).toBeGreaterThan(100);
    expect(testAuc).toBeGreaterThan(0.75);
    expect(testAuc).toBeGreaterThan(recencyAuc - 0.01);
    for (const p of scores) expect(p >= 0 && p <= 1).toBe(true);
  });

  it("is a deterministic JSON model that scores the same after a round trip", () => {
    const again = trainChurnModel({ features: train.features, labels: train.labels, seed: 1 });
    expect(again).toEqual(model);
    const reloaded: ChurnModel = churnModelSchema.parse(JSON.parse(JSON.stringify(model)));
    expect(scoreChurn(reloaded, test.features.slice(0, 20))).toEqual(scores.slice(0, 20));
    expect(model.feature_names).toEqual(FEATURE_NAMES);
    // Long since the last purchase and overdue → more churn.
    expect(model.coefficients[FEATURE_NAMES.indexOf("overdue_ratio")] + model.coefficients[0]).toBeGreaterThan(0);
  });

  it("subsamples reproducibly by seed above maxRows", () => {
    const a = trainChurnModel({ features: train.features, labels: train.labels, seed: 7, maxRows: 800 });
    const b = trainChurnModel({ features: train.features, labels: train.labels, seed: 7, maxRows: 800 });
    const c = trainChurnModel({ features: train.features, labels: train.labels, seed: 8, maxRows: 800 });
    expect(a.train.n).toBe(800);
    expect(a).toEqual(b);
    expect(c.coefficients).not.toEqual(a.coefficients);
  });

  it("uses P(alive) as an extra feature and imputes it when missing", () => {
    const withP = trainChurnModel({
      features: train.features,
      labels: train.labels,
      pAlive: pAliveFor(w, train.ids, day(450), 3),
      seed: 1,
    });
    expect(withP.uses_p_alive).toBe(true);
    expect(withP.feature_names.at(-1)).toBe("p_alive_logit");
    expect(withP.coefficients.at(-1)).toBeLessThan(0); // alive → less churn
    const aucWithP = auc(scoreChurn(withP, test.features, pAliveFor(w, test.ids, day(540), 4)), test.labels);
    expect(aucWithP).toBeGreaterThan(testAuc);
    const imputed = auc(scoreChurn(withP, test.features), test.labels);
    expect(imputed).toBeGreaterThan(0.7);
    // A model trained without P(alive) ignores it.
    expect(scoreChurn(model, test.features.slice(0, 5), [0, 0, 0, 0, 0])).toEqual(scores.slice(0, 5));
  });

  it("is exposed as an agent tool that scores by feature name", async () => {
    const tool = createChurnTool({
      loadModel: async () => model,
      loadCustomers: async (ids) =>
        ids.map((id) => {
          const i = test.ids.indexOf(id);
          return { customer_id: id, features: featureRecord(test.features[i]) };
        }),
    });
    const out = churnOutputSchema.parse(JSON.parse(await tool.invoke({ customerIds: [test.ids[0], test.ids[1]] })));
    expect(out.horizon_days).toBe(90);
    expect(out.customers.map((c) => c.p_churn)).toEqual([scores[0], scores[1]].map((v) => expect.closeTo(v, 12)));
    expect(FEATURE_COUNT).toBe(test.features[0].length);
  });
});
