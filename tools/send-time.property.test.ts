import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { chooseSendTime, isQuietHour } from "./send-time.js";

const hours = fc.array(fc.integer({ min: 0, max: 20 }), { minLength: 24, maxLength: 24 });
const clock = fc
  .tuple(fc.integer({ min: 0, max: 23 }), fc.constantFrom(0, 30))
  .map(([h, m]) => `${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}`);
const quiet = fc.option(fc.record({ start: clock, end: clock }), { nil: null });

describe("chooseSendTime (properties)", () => {
  it("never chooses an hour inside quiet hours", () => {
    fc.assert(
      fc.property(
        hours,
        hours,
        hours,
        hours,
        quiet,
        fc.string({ minLength: 1, maxLength: 6 }),
        (opens, clicks, purchases, segment, quietHours, id) => {
          const out = chooseSendTime({
            customerId: id,
            decisionKey: "cycle-1",
            opens,
            clicks,
            purchases,
            segmentHistogram: segment,
            quietHours,
            exploreShare: 0.5,
          });
          if (out.hour === null) expect(Array.from({ length: 24 }, (_, h) => isQuietHour(h, quietHours)).every(Boolean)).toBe(true);
          else expect(isQuietHour(out.hour, quietHours)).toBe(false);
          expect(out.reasons.length).toBeGreaterThan(0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("chooseSendTime", () => {
  const zeros = Array<number>(24).fill(0);
  const at = (h: number, n: number) => zeros.map((_, i) => (i === h ? n : 0));
  const quietHours = { start: "21:00", end: "08:00" };

  it("follows a customer's own hour once they have history, and the segment's before", () => {
    const segment = at(12, 100);
    const seasoned = chooseSendTime({
      customerId: "c1",
      decisionKey: "k",
      opens: at(19, 30),
      clicks: zeros,
      purchases: zeros,
      segmentHistogram: segment,
      quietHours,
      exploreShare: 0,
    });
    expect(seasoned).toMatchObject({ hour: 19, source: "customer" });
    const fresh = chooseSendTime({
      customerId: "c1",
      decisionKey: "k",
      opens: at(19, 1),
      clicks: zeros,
      purchases: zeros,
      segmentHistogram: segment,
      quietHours,
      exploreShare: 0,
    });
    expect(fresh).toMatchObject({ hour: 12, source: "segment" });
  });

  it("moves an engaged night owl out of quiet hours", () => {
    const out = chooseSendTime({
      customerId: "c1",
      decisionKey: "k",
      opens: at(23, 50),
      clicks: zeros,
      purchases: zeros,
      segmentHistogram: at(9, 10),
      quietHours,
      exploreShare: 0,
    });
    expect(out.hour).toBe(9);
  });

  it("explores about exploreShare of customers with little history, stably", () => {
    const run = (i: number) =>
      chooseSendTime({
        customerId: `c${i}`,
        decisionKey: "k",
        opens: zeros,
        clicks: zeros,
        purchases: zeros,
        segmentHistogram: zeros.map((_, h) => (h >= 8 && h < 21 ? 1 : 0)),
        quietHours,
        exploreShare: 0.3,
      });
    const explored = Array.from({ length: 2000 }, (_, i) => run(i)).filter((o) => o.source === "explore").length;
    expect(explored / 2000).toBeGreaterThan(0.25);
    expect(explored / 2000).toBeLessThan(0.35);
    expect(run(5)).toEqual(run(5));
  });
});
