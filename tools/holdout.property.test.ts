import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { assignHoldout } from "./holdout.js";

const customerArb = fc.record({
  customerId: fc.stringMatching(/^[a-z0-9-]{1,12}$/),
  segment: fc.constantFrom("segA", "segB", "segC"),
});

describe("holdout assignment (properties)", () => {
  it("is stable and independent of input order and batch size", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(customerArb, { selector: (c) => c.customerId, minLength: 1, maxLength: 60 }),
        fc.string({ minLength: 1, maxLength: 10 }).filter((s) => !s.includes("|")),
        fc.integer({ min: 0, max: 2 ** 31 - 1 }),
        fc.array(fc.integer({ min: 1, max: 20 }), { minLength: 1, maxLength: 20 }),
        (customers, experimentId, seed, batchSizes) => {
          const params = {
            experimentId,
            holdoutShares: { segA: 0.1, segB: 0.5 },
            defaultHoldoutShare: 0.2,
            globalControl: { share: 0.05 },
          };
          const reference = new Map(assignHoldout({ ...params, customers }).assignments.map((a) => [a.customerId, a]));

          // Seeded Fisher-Yates shuffle, then random batch sizes.
          const shuffled = [...customers];
          let s = seed;
          for (let i = shuffled.length - 1; i > 0; i--) {
            s = (s * 1103515245 + 12345) % 2 ** 31;
            const j = s % (i + 1);
            [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
          }
          let at = 0;
          let k = 0;
          while (at < shuffled.length) {
            const size = batchSizes[k++ % batchSizes.length];
            for (const a of assignHoldout({ ...params, customers: shuffled.slice(at, at + size) }).assignments) {
              const ref = reference.get(a.customerId);
              expect(a.arm).toBe(ref?.arm);
              expect(a.bucket).toBe(ref?.bucket);
            }
            at += size;
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});
