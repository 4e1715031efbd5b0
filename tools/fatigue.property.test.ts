import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CHANNELS, RESPONSE_TYPES } from "../ingest/formats.js";
import { assessFatigue, assessFatigueUnchecked, fatigueConfigSchema, type EngagementEvent, type FatigueOutput } from "./fatigue.js";

const AS_OF_MS = Date.parse("2024-06-01T12:00:00.000Z");
const DAY = 86_400_000;
const eventArb: fc.Arbitrary<EngagementEvent> = fc.record({
  channel: fc.constantFrom(...CHANNELS),
  type: fc.constantFrom(...RESPONSE_TYPES),
  // From before the lookback window to slightly after asOf.
  at: fc.integer({ min: AS_OF_MS - 120 * DAY, max: AS_OF_MS + 2 * DAY }).map((t) => new Date(t).toISOString()),
});
const configArb = fc.record({
  halfLifeDays: fc.double({ min: 0.5, max: 60, noNaN: true }),
  streakHalfSaturation: fc.double({ min: 0.5, max: 30, noNaN: true }),
  unansweredBackoff: fc.integer({ min: 1, max: 10 }),
});

const run = (events: EngagementEvent[], config = {}): FatigueOutput["customers"][number] =>
  assessFatigue({ asOf: new Date(AS_OF_MS).toISOString(), customers: [{ customerId: "c1", events }], config }).customers[0];

describe("fatigue (properties)", () => {
  it("keeps fatigue and engagement within [0, 1]", () => {
    fc.assert(
      fc.property(fc.array(eventArb, { maxLength: 80 }), configArb, (events, config) => {
        const c = run(events, config);
        for (const x of [c, ...c.channels]) {
          expect(x.fatigue).toBeGreaterThanOrEqual(0);
          expect(x.fatigue).toBeLessThanOrEqual(1);
          expect(x.engagement).toBeGreaterThanOrEqual(0);
          expect(x.engagement).toBeLessThanOrEqual(1);
        }
      }),
      { numRuns: 300 },
    );
  });

  it("never lowers fatigue when an exposure is added", () => {
    fc.assert(
      fc.property(
        fc.array(eventArb, { maxLength: 60 }),
        fc.constantFrom(...CHANNELS),
        fc.option(fc.integer({ min: AS_OF_MS - 100 * DAY, max: AS_OF_MS }), { nil: undefined }),
        configArb,
        (events, channel, at, config) => {
          // Without a time, the exposure lands at asOf: after any response, so certainly unanswered.
          const added: EngagementEvent = { channel, type: "delivered", at: new Date(at ?? AS_OF_MS).toISOString() };
          const before = run(events, config);
          const after = run([...events, added], config);
          expect(after.fatigue).toBeGreaterThanOrEqual(before.fatigue);
          for (const c of CHANNELS) {
            const b = before.channels.find((x) => x.channel === c)!;
            const a = after.channels.find((x) => x.channel === c)!;
            expect(a.fatigue).toBeGreaterThanOrEqual(b.fatigue);
            if (c === channel && at === undefined) expect(a.unansweredStreak).toBe(b.unansweredStreak + 1);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("assesses the same without validation, from epoch-millisecond events", () => {
    fc.assert(
      fc.property(fc.array(fc.array(eventArb, { maxLength: 40 }), { minLength: 1, maxLength: 5 }), configArb, (histories, config) => {
        const customers = histories.map((events, i) => ({ customerId: `c${i}`, events }));
        const checked = assessFatigue({ asOf: new Date(AS_OF_MS).toISOString(), customers, config }).customers;
        const unchecked = assessFatigueUnchecked({
          asOf: AS_OF_MS,
          customers: customers.map((c) => ({
            customerId: c.customerId,
            events: c.events.map((e) => ({ channel: e.channel, type: e.type, at: Date.parse(e.at) })),
          })),
          config: fatigueConfigSchema.parse(config),
        });
        expect(unchecked).toEqual(checked);
      }),
      { numRuns: 200 },
    );
  });
});
