import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { SegmentPlan } from "../../agents/strategist/index.js";
import { CHANNELS, type Channel } from "../../core/domain.js";
import type { HourHistogram } from "../../store/evidence-repo.js";
import { FEATURE_COUNT } from "../../tools/features.js";
import { isQuietHour } from "../../tools/send-time.js";
import { featureIndex, hasConsent, type CycleData } from "./cycle-data.js";
import { learnedUplift, type Readout } from "./plan-learning.js";
import { decideCustomers } from "./plan-step.js";
import { priorUpliftFn } from "./planning.js";
import { cycleSettingsSchema } from "./settings.js";

const ZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Australia/Adelaide", "Asia/Kathmandu"];
const asOf = new Date("2025-03-03T09:17:00Z");

const customerArb = fc.record({
  consented: fc.subarray([...CHANNELS]),
  allowed: fc.subarray([...CHANNELS]),
  engagement: fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }),
  baseline: fc.double({ min: 0, max: 0.9, noNaN: true }),
  aov: fc.double({ min: 5, max: 300, noNaN: true }),
  margin: fc.double({ min: 0.05, max: 0.8, noNaN: true }),
  discountShare: fc.double({ min: 0, max: 1, noNaN: true }),
  overdue: fc.double({ min: 0, max: 5, noNaN: true }),
  zone: fc.constantFrom(...ZONES),
  segment: fc.constantFrom("s1", "s2"),
  hours: fc.option(fc.array(fc.nat({ max: 6 }), { minLength: 24, maxLength: 24 }), { nil: undefined }),
});

type CustomerCase = typeof customerArb extends fc.Arbitrary<infer T> ? T : never;

function worldOf(customers: CustomerCase[]) {
  const values = new Float64Array(customers.length * FEATURE_COUNT);
  customers.forEach((c, i) => {
    values[i * FEATURE_COUNT + featureIndex("aov")] = c.aov;
    values[i * FEATURE_COUNT + featureIndex("margin_rate")] = c.margin;
    values[i * FEATURE_COUNT + featureIndex("discount_share")] = c.discountShare;
    values[i * FEATURE_COUNT + featureIndex("overdue_ratio")] = c.overdue;
  });
  const ids = customers.map((_, i) => `c${i}`);
  const bit = (c: readonly string[]) => CHANNELS.reduce((b, ch, k) => (c.includes(ch) ? b | (1 << k) : b), 0);
  const data = {
    asOf,
    customerIds: ids,
    timezones: customers.map((c) => c.zone),
    index: new Map(ids.map((id, i) => [id, i])),
    features: { feature_names: [], customer_ids: ids, values },
    fatigue: {
      score: new Float64Array(customers.length).fill(0.1),
      strategy: customers.map(() => "targeted_promo" as const),
      allowedChannels: customers.map((c) => c.allowed as Channel[]),
      engagement: Float64Array.from(customers.flatMap((c) => CHANNELS.map((_, k) => c.engagement[k]!))),
    },
    clv: {
      pAlive: new Float64Array(customers.length).fill(0.5),
      expectedPurchases: new Float64Array(customers.length).fill(1),
      clv: new Float64Array(customers.length).fill(10),
    },
    churn: new Float64Array(customers.length),
    churnAuc: null,
    consented: Uint8Array.from(customers.map((c) => bit(c.consented))),
    baselinePurchase: Float64Array.from(customers.map((c) => c.baseline)),
    topCategory: customers.map(() => null),
    seconds: 0,
  } satisfies CycleData;
  const hours = new Map<string, HourHistogram>();
  customers.forEach((c, i) => {
    if (c.hours) hours.set(ids[i]!, { opens: c.hours, clicks: c.hours.map((h) => h % 2), purchases: c.hours.map((h) => (h > 4 ? 1 : 0)) });
  });
  return { data, hours };
}

const plan = (segmentId: string, strategy: SegmentPlan["strategy"], channel: Channel): SegmentPlan => ({
  segmentId,
  name: segmentId,
  strategy,
  optionId: `${strategy}.${channel}.0`,
  channel,
  offerDepth: 0,
  sendHourLocal: 10,
  contacts: 0,
  budget: 0,
  expectedIncrementalMargin: 0,
  reasons: [],
});

const readoutArb = fc.record({
  segmentId: fc.constantFrom("s1", "s2"),
  strategy: fc.constantFrom("targeted_promo", "winback"),
  channel: fc.constantFrom(...CHANNELS),
  offerDepth: fc.constantFrom(0, 0.1, 0.15, 0.2),
  measuredAt: fc.integer({ min: asOf.getTime() - 60 * 86_400_000, max: asOf.getTime() }),
  treated: fc.integer({ min: 0, max: 3000 }),
  treatedConversions: fc.integer({ min: 0, max: 600 }),
  holdout: fc.integer({ min: 0, max: 800 }),
  holdoutConversions: fc.integer({ min: 0, max: 150 }),
  meanPrior: fc.double({ min: 0.001, max: 0.1, noNaN: true }),
}) as fc.Arbitrary<Readout>;

const quietArb = fc.constantFrom(
  { start: "21:00", end: "08:00" },
  { start: "20:00", end: "10:00" },
  { start: "00:00", end: "23:00" },
  { start: "12:00", end: "14:00" },
);

function run(customers: CustomerCase[], readouts: Readout[], quietHours: { start: string; end: string }, maxExplore: number) {
  const { data, hours } = worldOf(customers);
  const settings = cycleSettingsSchema.parse({ eligibility: { quietHours }, bandit: { maxExplore, minPropensity: 0.01 } });
  const members = new Map<string, number[]>([
    ["s1", []],
    ["s2", []],
  ]);
  customers.forEach((c, i) => members.get(c.segment)!.push(i));
  const prior = priorUpliftFn(data);
  const uplift = learnedUplift(prior, (i) => customers[i]!.segment, readouts, asOf.getTime(), 28);
  const decisions = decideCustomers({
    cycleId: "c1",
    sendFrom: asOf,
    settings,
    data,
    plans: [plan("s1", "targeted_promo", "email"), plan("s2", "winback", "sms")],
    members,
    uplift,
    prior,
    readouts,
    hours,
    asOf: asOf.getTime(),
  });
  return { decisions, data, settings };
}

const localHour = (t: Date, tz: string) =>
  Number(new Intl.DateTimeFormat("en-US", { timeZone: tz, hour: "numeric", hourCycle: "h23" }).format(t));

describe("decideCustomers (properties)", () => {
  it("contacts a customer only on a channel they consented to and that is not backed off", () => {
    fc.assert(
      fc.property(fc.array(customerArb, { minLength: 1, maxLength: 40 }), fc.array(readoutArb, { maxLength: 6 }), (customers, readouts) => {
        const { decisions, data } = run(customers, readouts, { start: "21:00", end: "08:00" }, 0.2);
        for (const t of decisions.targets) {
          if (t.decision !== "contact") continue;
          const i = data.index.get(t.customerId)!;
          expect(hasConsent(data, i, t.channel!)).toBe(true);
          expect(data.fatigue.allowedChannels[i]).toContain(t.channel);
        }
      }),
      { numRuns: 80 },
    );
  });

  it("plans every send outside the customer's local quiet hours", () => {
    fc.assert(
      fc.property(fc.array(customerArb, { minLength: 1, maxLength: 40 }), quietArb, (customers, quiet) => {
        const { decisions, data } = run(customers, [], quiet, 0.2);
        for (const c of decisions.candidates) {
          const t = decisions.targets[c.target]!;
          const tz = data.timezones[data.index.get(t.customerId)!]!;
          expect(isQuietHour(localHour(c.plannedAt, tz), quiet)).toBe(false);
          expect(c.plannedAt.getTime()).toBeGreaterThanOrEqual(asOf.getTime());
        }
      }),
      { numRuns: 60 },
    );
  });

  it("keeps each segment's exploration within its bound; propensities sum to 1 per decision and every target records its arm's", () => {
    fc.assert(
      fc.property(
        fc.array(customerArb, { minLength: 1, maxLength: 60 }),
        fc.array(readoutArb, { maxLength: 8 }),
        fc.double({ min: 0.05, max: 0.5, noNaN: true }),
        (customers, readouts, maxExplore) => {
          const { decisions } = run(customers, readouts, { start: "21:00", end: "08:00" }, maxExplore);
          for (const s of decisions.segments) {
            const withArm = decisions.targets.filter((t) => t.segmentId === s.plan.segmentId && t.armId);
            if (!s.bandit) {
              // No choice to make: every send of the segment was certain.
              for (const t of withArm) expect(t.propensity).toBe(1);
              continue;
            }
            const p = s.bandit.policy;
            expect(p.propensities.reduce((sum, a) => sum + a.propensity, 0)).toBeCloseTo(1, 9);
            expect(p.exploreShare).toBeLessThanOrEqual(maxExplore + 1e-9);
            for (const t of withArm) {
              const arm = p.propensities.find((a) => a.armId === t.armId)!;
              expect(t.propensity).toBe(arm.propensity);
              expect(t.offerDepth).toBeCloseTo(Number(t.armId!.slice("offer-".length)) / 100, 9);
            }
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});

describe("decideCustomers (the properties above are not vacuous)", () => {
  it("the generated worlds contact customers, on several channels and offer depths, at customers' own hours", () => {
    const samples = fc.sample(fc.array(customerArb, { minLength: 20, maxLength: 40 }), { numRuns: 20, seed: 7 });
    const channels = new Set<string>();
    const depths = new Set<number>();
    let contacts = 0;
    for (const customers of samples) {
      const { decisions } = run(customers, [], { start: "21:00", end: "08:00" }, 0.3);
      for (const c of decisions.candidates) {
        const t = decisions.targets[c.target]!;
        contacts++;
        channels.add(t.channel!);
        depths.add(t.offerDepth);
      }
    }
    expect(contacts).toBeGreaterThan(50);
    expect(channels.size).toBeGreaterThan(1);
    expect(depths.size).toBeGreaterThan(1);
  });
});
