import { readFileSync } from "node:fs";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCdnowTransactions, summarizeCdnow } from "../evals/cdnow-transactions.js";
import {
  type BgnbdFit,
  bgnbdLogLikelihood,
  type ClvCustomer,
  clvOutputSchema,
  computeClv,
  conditionalExpectedSpend,
  createClvTool,
  discountedExpectedPurchases,
  expectedPurchases,
  expectedPurchasesNewCustomer,
  fitBgnbd,
  fitGammaGamma,
  type GammaGammaFit,
  gammaGammaLogLikelihood,
  probabilityAlive,
  weeklyDiscountRate,
} from "./clv.js";
import { gammaln, hyp2f1, scaledHyp2f1, SpecialFunctionError } from "./clv-special-functions.js";

/** Equal to the published figure to the digits it was published with (within half a unit of its last digit). */
function expectPublished(estimate: number, published: string): void {
  const decimals = published.includes(".") ? published.split(".")[1].length : 0;
  expect(Math.abs(estimate - Number(published))).toBeLessThanOrEqual(0.5 * 10 ** -decimals + 1e-12);
}

const PUBLISHED = { r: 0.243, alpha: 4.414, a: 0.793, b: 2.426 };

describe("BG/NBD and Gamma-Gamma on the CDNOW sample (Fader, Hardie & Lee 2005)", () => {
  let bgnbd: BgnbdFit;
  let gammaGamma: GammaGammaFit;
  let customers: ReturnType<typeof summarizeCdnow>["customers"];

  beforeAll(() => {
    const text = readFileSync(new URL("../evals/data/cdnow/CDNOW_sample.txt", import.meta.url), "utf8");
    customers = summarizeCdnow(parseCdnowTransactions(text).transactions, { calibrationEnd: "1997-09-30", holdoutWeeks: 39 }).customers;
    bgnbd = fitBgnbd(customers);
    gammaGamma = fitGammaGamma(customers.filter((c) => c.x > 0).map((c) => ({ x: c.x, averageSpend: c.averageRepeatSpend as number })));
  });

  it("reproduces r=0.243, alpha=4.414, a=0.793, b=2.426 and log-likelihood -9582.4", () => {
    expect(bgnbd.customers).toBe(2357);
    expectPublished(bgnbd.params.r, "0.243");
    expectPublished(bgnbd.params.alpha, "4.414");
    expectPublished(bgnbd.params.a, "0.793");
    expectPublished(bgnbd.params.b, "2.426");
    expectPublished(bgnbd.logLikelihood, "-9582.4");
  });

  it("has the published estimates as its maximum: the likelihood there is the same to 0.01", () => {
    expect(bgnbdLogLikelihood(PUBLISHED, customers)).toBeCloseTo(-9582.43, 2);
    expect(bgnbdLogLikelihood(PUBLISHED, customers)).toBeLessThanOrEqual(bgnbd.logLikelihood);
  });

  it("reproduces Gamma-Gamma p=6.25, q=3.74, gamma=15.44 on the 946 customers with repeat purchases", () => {
    expect(gammaGamma.customers).toBe(946);
    expectPublished(gammaGamma.params.p, "6.25");
    expectPublished(gammaGamma.params.q, "3.74");
    expectPublished(gammaGamma.params.gamma, "15.44");
  });

  it("expects 1.226 purchases in 39 weeks for x=2, t_x=30.43, T=38.86 (fitted and published parameters)", () => {
    const c = { x: 2, tx: 30.43, T: 38.86 };
    expectPublished(expectedPurchases(bgnbd.params, c, 39), "1.226");
    expectPublished(expectedPurchases(PUBLISHED, c, 39), "1.226");
  });
});

describe("2F1 series", () => {
  it("matches closed forms", () => {
    for (const z of [-0.9, -0.3, 0.01, 0.5, 0.9, 0.99]) {
      expect(hyp2f1(1, 1, 2, z)).toBeCloseTo(-Math.log(1 - z) / z, 12);
      expect(hyp2f1(2.5, 1.7, 1.7, z)).toBeCloseTo((1 - z) ** -2.5, 8);
    }
    expect(hyp2f1(0.5, 0.5, 1.5, 0.25)).toBeCloseTo(Math.asin(0.5) / 0.5, 14);
    expect(hyp2f1(-3, 2, 1, 0.4)).toBeCloseTo(1 - 2.4 + 1.44 - 0.256, 14); // terminating polynomial
  });

  it("keeps a scaled series finite where the raw one would overflow, and agrees with Euler's transformation", () => {
    // (1-z)^a 2F1(a, b; c; z) with a, b large and z near 1: the BG/NBD expectation for a heavy buyer.
    const [a, b, c, z] = [150.24, 152.4, 152.2, 0.995];
    const scaled = scaledHyp2f1(a, b, c, z, a * Math.log(1 - z));
    const euler = scaledHyp2f1(c - a, c - b, c, z, (c - b) * Math.log(1 - z)); // (1-z)^(c-a-b) · (1-z)^a
    expect(Number.isFinite(scaled)).toBe(true);
    expect(scaled / euler).toBeCloseTo(1, 9);
  });

  it("stops early on a boundary fit (a, b huge: no sign of dropout) instead of running to the term cap", () => {
    const started = performance.now();
    const e = expectedPurchases({ r: 1.16, alpha: 5.42, a: 1.2e8, b: 2e8 }, { x: 3, tx: 20, T: 30 }, 39);
    expect(Number.isFinite(e) && e > 0).toBe(true);
    expect(performance.now() - started).toBeLessThan(50);
  });

  it("refuses |z| >= 1 and non-positive integer c", () => {
    expect(() => hyp2f1(1, 1, 2, 1)).toThrow(SpecialFunctionError);
    expect(() => hyp2f1(1, 1, -2, 0.5)).toThrow(SpecialFunctionError);
  });
});

describe("BG/NBD properties", () => {
  const params = PUBLISHED;
  const customer = fc
    .record({
      T: fc.double({ min: 0.5, max: 80, noNaN: true }),
      share: fc.double({ min: 0, max: 1, noNaN: true }),
      x: fc.integer({ min: 0, max: 40 }),
    })
    .map(({ T, share, x }) => ({ x, tx: x === 0 ? 0 : share * T, T }));

  it("P(alive) is 1 with no repeat purchase, and in (0, 1] otherwise", () => {
    expect(probabilityAlive(params, { x: 0, tx: 0, T: 38.86 })).toBe(1);
    fc.assert(
      fc.property(customer, (c) => {
        const p = probabilityAlive(params, c);
        return p > 0 && p <= 1;
      }),
    );
  });

  it("P(alive) falls the longer a repeat buyer has been silent, and rises with a later last purchase", () => {
    fc.assert(
      fc.property(customer, fc.double({ min: 0.1, max: 20, noNaN: true }), (c, more) => {
        if (c.x === 0) return true;
        return (
          probabilityAlive(params, { ...c, T: c.T + more }) < probabilityAlive(params, c) &&
          probabilityAlive(params, { ...c, tx: c.tx + more, T: c.T + more }) > probabilityAlive(params, { ...c, T: c.T + more })
        );
      }),
    );
  });

  it("expected purchases are 0 at t=0, finite, and grow with the horizon", () => {
    fc.assert(
      fc.property(customer, fc.double({ min: 0.5, max: 200, noNaN: true }), (c, t) => {
        const e1 = expectedPurchases(params, c, t);
        const e2 = expectedPurchases(params, c, t * 1.5);
        return expectedPurchases(params, c, 0) === 0 && Number.isFinite(e1) && e1 > 0 && e2 > e1;
      }),
    );
  });

  it("more repeat purchases at the same recency mean more expected purchases", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 30 }), fc.double({ min: 5, max: 60, noNaN: true }), (x, T) => {
        const c = { x, tx: T * 0.9, T };
        return expectedPurchases(params, { ...c, x: x + 1 }, 39) > expectedPurchases(params, c, 39);
      }),
    );
  });

  it("a just-acquired customer (x=0, T=0) gets the unconditional expectation E[X(t)]", () => {
    for (const t of [1, 10, 39, 104]) {
      expect(expectedPurchases(params, { x: 0, tx: 0, T: 0 }, t)).toBeCloseTo(expectedPurchasesNewCustomer(params, t), 10);
    }
  });
});

describe("Gamma-Gamma conditional spend", () => {
  const params = { p: 6.25, q: 3.74, gamma: 15.44 };
  const populationMean = (6.25 * 15.44) / 2.74;

  it("is the population mean without repeat purchases and moves toward the customer's own mean with more of them", () => {
    expect(conditionalExpectedSpend(params, 0, null)).toBeCloseTo(populationMean, 12);
    const few = conditionalExpectedSpend(params, 1, 100);
    const many = conditionalExpectedSpend(params, 20, 100);
    expect(few).toBeGreaterThan(populationMean);
    expect(many).toBeGreaterThan(few);
    expect(many).toBeLessThan(100);
  });

  it("is NaN when q <= 1 (the population mean does not exist)", () => {
    expect(conditionalExpectedSpend({ p: 1, q: 0.9, gamma: 1 }, 2, 10)).toBeNaN();
  });
});

describe("computeClv and the agent tool", () => {
  const customers: ClvCustomer[] = [
    { id: "c1", x: 0, tx: 0, T: 30 },
    { id: "c2", x: 2, tx: 25, T: 30, averageSpend: 40 },
    { id: "c3", x: 5, tx: 29, T: 30, averageSpend: 15 },
    { id: "c4", x: 1, tx: 2, T: 30, averageSpend: 60 },
  ];
  const given = { bgnbd: PUBLISHED, gammaGamma: { p: 6.25, q: 3.74, gamma: 15.44 } };

  it("without discounting, CLV = margin × expected spend × expected purchases", () => {
    const out = computeClv({ customers, ...given, horizonWeeks: 39, margin: 0.3, annualDiscountRate: 0 });
    for (const c of out.customers) expect(c.clv).toBeCloseTo(0.3 * (c.expectedSpend as number) * c.expectedPurchases, 10);
    expect(out.bgnbd.fitted).toBe(false);
    expect(clvOutputSchema.safeParse(out).success).toBe(true);
  });

  it("discounting lowers CLV, and weekly steps of a fractional horizon add up to the horizon", () => {
    const plain = computeClv({ customers, ...given, horizonWeeks: 39, annualDiscountRate: 0 });
    const discounted = computeClv({ customers, ...given, horizonWeeks: 39, annualDiscountRate: 0.15 });
    discounted.customers.forEach((c, i) => expect(c.clv as number).toBeLessThan(plain.customers[i].clv as number));
    expect(discountedExpectedPurchases(PUBLISHED, customers[1], 10.5, 0)).toBeCloseTo(expectedPurchases(PUBLISHED, customers[1], 10.5), 12);
    expect(weeklyDiscountRate(0.1)).toBeCloseTo(1.1 ** (1 / 52) - 1, 15);
  });

  it("fits both models when no parameters are given", () => {
    const out = computeClv({ customers, horizonWeeks: 13 });
    expect(out.bgnbd.fitted).toBe(true);
    expect(out.gammaGamma?.customers).toBe(3);
    expect(out.customers.map((c) => c.id)).toEqual(["c1", "c2", "c3", "c4"]);
  });

  it("rejects inconsistent summaries", () => {
    expect(() => computeClv({ customers: [{ id: "bad", x: 1, tx: 40, T: 30 }] })).toThrow(/tx must not exceed T/);
    expect(() => computeClv({ customers: [{ id: "bad", x: 0, tx: 3, T: 30 }] })).toThrow(/tx must be 0/);
  });

  it("works as a LangChain tool, with the agent passing a segment id when the factory is given a loader", async () => {
    const plain = createClvTool();
    const direct = JSON.parse((await plain.invoke({ customers, ...given, horizonWeeks: 26 })) as string);
    expect(direct.customers).toHaveLength(4);

    const asked: (string | undefined)[] = [];
    const bound = createClvTool({ loadCustomers: async (segmentId) => (asked.push(segmentId), customers) });
    const out = JSON.parse((await bound.invoke({ segmentId: "vip", horizonWeeks: 13 })) as string);
    expect(asked).toEqual(["vip"]);
    expect(out.horizonWeeks).toBe(13);
    expect(out.customers[1].pAlive).toBeGreaterThan(0);
  });
});

describe("the log-likelihoods' shortcuts (terms shared per x, logs of the data once per fit)", () => {
  // The textbook sums, term by term, as the fits evaluated them before the shortcuts.
  function bgnbdTextbook(
    p: { r: number; alpha: number; a: number; b: number },
    cs: readonly { x: number; tx: number; T: number }[],
  ): number {
    const { r, alpha, a, b } = p;
    let total = 0;
    for (const c of cs) {
      const constant =
        gammaln(r + c.x) - gammaln(r) + r * Math.log(alpha) + gammaln(a + b) + gammaln(b + c.x) - gammaln(b) - gammaln(a + b + c.x);
      const a3 = -(r + c.x) * Math.log(alpha + c.T);
      const a4 = c.x > 0 ? Math.log(a) - Math.log(b + c.x - 1) - (r + c.x) * Math.log(alpha + c.tx) : Number.NEGATIVE_INFINITY;
      const m = Math.max(a3, a4);
      total += constant + (m === Number.NEGATIVE_INFINITY ? m : m + Math.log(Math.exp(a3 - m) + Math.exp(a4 - m)));
    }
    return total;
  }
  function gammaGammaTextbook(p: { p: number; q: number; gamma: number }, cs: readonly { x: number; averageSpend: number }[]): number {
    const constant = -gammaln(p.q) + p.q * Math.log(p.gamma);
    let total = 0;
    for (const { x, averageSpend: m } of cs) {
      const px = p.p * x;
      total +=
        gammaln(px + p.q) - gammaln(px) + constant + (px - 1) * Math.log(m) + px * Math.log(x) - (px + p.q) * Math.log(p.gamma + m * x);
    }
    return total;
  }
  const positive = fc.double({ min: 0.05, max: 50, noNaN: true });
  const summaryArb = fc
    .record({
      x: fc.integer({ min: 0, max: 30 }),
      T: fc.double({ min: 0.2, max: 80, noNaN: true }),
      share: fc.double({ min: 0, max: 1, noNaN: true }),
    })
    .map(({ x, T, share }) => ({ x, T, tx: x === 0 ? 0 : T * share }));

  it("give the textbook BG/NBD sum, to the last bit", () => {
    fc.assert(
      fc.property(
        fc.record({ r: positive, alpha: positive, a: positive, b: positive }),
        fc.array(summaryArb, { minLength: 1, maxLength: 60 }),
        (params, cs) => {
          // Distinct summaries: the textbook sum has no weights to compress duplicates with.
          const distinct = [...new Map(cs.map((c) => [`${c.x}|${c.tx}|${c.T}`, c])).values()];
          expect(bgnbdLogLikelihood(params, distinct)).toBe(bgnbdTextbook(params, distinct));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("give the textbook Gamma-Gamma sum, to the last bit", () => {
    const spendArb = fc.record({ x: fc.integer({ min: 1, max: 30 }), averageSpend: fc.double({ min: 0.01, max: 5_000, noNaN: true }) });
    fc.assert(
      fc.property(
        fc.record({ p: positive, q: positive, gamma: positive }),
        fc.array(spendArb, { minLength: 1, maxLength: 60 }),
        (params, cs) => {
          expect(gammaGammaLogLikelihood(params, cs)).toBe(gammaGammaTextbook(params, cs));
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("computeClv fitted on a spread of customers", () => {
  // Seeded: each customer buys at a rate of their own over T weeks since the first purchase.
  let seed = 7;
  const rand = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
  const customers = Array.from({ length: 3000 }, (_, i) => {
    const T = 10 + Math.floor(rand() * 40);
    const rate = rand() * 0.3;
    const x = Math.floor(rate * T * rand() * 2);
    const tx = x === 0 ? 0 : T * (0.3 + 0.7 * rand());
    return { id: `c${i}`, x, tx, T, ...(x > 0 ? { averageSpend: 10 + rand() * 40 } : {}) };
  });

  it("scores everyone, fits on the sample, and equals the full fit when the sample holds everyone", () => {
    const full = computeClv({ customers, horizonWeeks: 26 });
    expect(computeClv({ customers, horizonWeeks: 26, fitSampleSize: 3000 })).toEqual(full);
    const sampled = computeClv({ customers, horizonWeeks: 26, fitSampleSize: 1000 });
    expect(sampled.customers).toHaveLength(3000);
    expect(sampled.gammaGamma?.customers).toBeLessThan(1000);
    expect(sampled.bgnbd.params).not.toEqual(full.bgnbd.params);
    // A spread of a third of the customers lands near the full fit's prediction.
    expect(Math.abs(sampled.totals.expectedPurchases / full.totals.expectedPurchases - 1)).toBeLessThan(0.15);
  });
});
