import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { banditPolicy, chooseArm, scaledThompsonProbabilities, thompsonProbabilities } from "./bandit.js";

const armsArb = fc
  .array(fc.record({ successes: fc.integer({ min: 0, max: 500 }), failures: fc.integer({ min: 0, max: 5000 }) }), {
    minLength: 1,
    maxLength: 6,
  })
  .map((xs) => xs.map((x, i) => ({ armId: `arm-${i}`, ...x })));
const optionsArb = fc.record({
  maxExplore: fc.double({ min: 0.05, max: 1, noNaN: true }),
  minPropensity: fc.double({ min: 0, max: 0.01, noNaN: true }),
});

describe("banditPolicy (properties)", () => {
  it("never exceeds its exploration bound, sums propensities to 1 and keeps every arm's floor", () => {
    fc.assert(
      fc.property(armsArb, optionsArb, (arms, options) => {
        const policy = banditPolicy({ arms, options: { ...options, gridPoints: 400 } });
        const sum = policy.propensities.reduce((s, p) => s + p.propensity, 0);
        expect(sum).toBeCloseTo(1, 9);
        const explore = policy.propensities.filter((p) => p.armId !== policy.greedyArmId).reduce((s, p) => s + p.propensity, 0);
        expect(explore).toBeLessThanOrEqual(options.maxExplore + 1e-9);
        expect(policy.exploreShare).toBeCloseTo(explore, 9);
        for (const p of policy.propensities) expect(p.propensity).toBeGreaterThanOrEqual(options.minPropensity - 1e-12);
      }),
      { numRuns: 60 },
    );
  });

  it("records with each choice the propensity of the arm chosen, and realised exploration stays within the bound", () => {
    fc.assert(
      fc.property(armsArb, optionsArb, fc.string({ minLength: 1, maxLength: 8 }), (arms, options, key) => {
        const policy = banditPolicy({ arms, options: { ...options, gridPoints: 400 } });
        const n = 2000;
        let explored = 0;
        for (let c = 0; c < n; c++) {
          const choice = chooseArm(policy, key, `c-${c}`);
          expect(choice.propensity).toBe(policy.propensities.find((p) => p.armId === choice.armId)!.propensity);
          if (choice.explored) explored++;
        }
        // Binomial noise: 4 standard deviations above the bound at most.
        const sd = Math.sqrt((options.maxExplore * (1 - options.maxExplore)) / n);
        expect(explored / n).toBeLessThanOrEqual(options.maxExplore + 4 * sd + 1e-9);
      }),
      { numRuns: 20 },
    );
  });
});

describe("thompsonProbabilities", () => {
  it("matches the closed form for two uniform-prior arms and favours the better arm", () => {
    // Beta(2,1) vs Beta(1,2): P(X > Y) = 5/6.
    const [p, q] = thompsonProbabilities([
      { a: 2, b: 1 },
      { a: 1, b: 2 },
    ]);
    expect(p).toBeCloseTo(5 / 6, 3);
    expect(q).toBeCloseTo(1 / 6, 3);
  });

  it("gives near-certainty to an arm that is clearly better", () => {
    const [best] = thompsonProbabilities([
      { a: 300, b: 700 },
      { a: 100, b: 900 },
    ]);
    expect(best).toBeGreaterThan(0.999);
  });
});

describe("banditPolicy", () => {
  it("caps a wide-open exploration and explains it", () => {
    const policy = banditPolicy({
      arms: [
        { armId: "v1", successes: 3, failures: 30 },
        { armId: "v2", successes: 2, failures: 30 },
        { armId: "v3", successes: 0, failures: 0 },
      ],
      options: { maxExplore: 0.1, minPropensity: 0.02 },
    });
    expect(policy.exploreShare).toBeCloseTo(0.1, 9);
    expect(policy.reasons.join(" ")).toMatch(/capped at 10.0%/);
  });

  it("refuses a floor that the exploration bound cannot hold", () => {
    expect(() =>
      banditPolicy({
        arms: ["a", "b", "c"].map((armId) => ({ armId, successes: 1, failures: 1 })),
        options: { maxExplore: 0.05, minPropensity: 0.05 },
      }),
    ).toThrow(/exceeds maxExplore/);
  });
});

describe("banditPolicy with valued arms (offer depths: rate × margin left)", () => {
  const valuedArb = fc
    .array(
      fc.record({
        successes: fc.double({ min: 0, max: 500, noNaN: true }),
        failures: fc.double({ min: 0, max: 5000, noNaN: true }),
        value: fc.double({ min: 0.01, max: 1, noNaN: true }),
      }),
      { minLength: 1, maxLength: 5 },
    )
    .map((xs) => xs.map((x, i) => ({ armId: `d-${i}`, ...x })));

  it("never exceeds its exploration bound and its greedy arm has the best value × posterior mean", () => {
    fc.assert(
      fc.property(valuedArb, optionsArb, (arms, options) => {
        const policy = banditPolicy({ arms, options: { ...options, gridPoints: 300 } });
        expect(policy.propensities.reduce((s, p) => s + p.propensity, 0)).toBeCloseTo(1, 9);
        expect(policy.exploreShare).toBeLessThanOrEqual(options.maxExplore + 1e-9);
        const score = (id: string) => {
          const k = arms.findIndex((a) => a.armId === id);
          return policy.propensities[k]!.posteriorMean * arms[k]!.value;
        };
        for (const a of arms) expect(score(policy.greedyArmId)).toBeGreaterThanOrEqual(score(a.armId) - 1e-12);
      }),
      { numRuns: 40 },
    );
  });

  it("with equal values draws as plain Thompson sampling; a higher value raises an arm's share", () => {
    const posts = [
      { a: 12, b: 88 },
      { a: 10, b: 90 },
    ];
    const plain = thompsonProbabilities(posts, 3000);
    const scaled = scaledThompsonProbabilities(
      posts.map((p) => ({ ...p, value: 1 })),
      3000,
    );
    expect(scaled[0]).toBeCloseTo(plain[0]!, 3);
    const favoured = scaledThompsonProbabilities(
      [
        { ...posts[0]!, value: 1 },
        { ...posts[1]!, value: 1.5 },
      ],
      3000,
    );
    expect(favoured[1]).toBeGreaterThan(plain[1]! + 0.3);
  });
});
