import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CHANNELS, type Channel } from "../ingest/formats.js";
import {
  checkEligibility,
  checkEligibilityUnchecked,
  eligibilityInputSchema,
  type CandidateContact,
  type CustomerContactData,
  type EligibilityConfigInput,
} from "./eligibility.js";

const DAY = 86_400_000;
const START = Date.parse("2024-03-01T00:00:00Z"); // spans the US DST change on 10 March
const ZONES = ["UTC", "America/New_York", "Asia/Tokyo", "Asia/Kolkata", "Australia/Adelaide", "America/Los_Angeles"] as const;
const iso = (t: number) => new Date(t).toISOString();
const timeArb = fc.integer({ min: START, max: START + 21 * DAY });
const consentArb = fc.record({
  channel: fc.constantFrom(...CHANNELS),
  purpose: fc.constantFrom("marketing" as const, "transactional" as const),
  status: fc.constantFrom("granted" as const, "revoked" as const),
  // A small range of times, so equal timestamps occur.
  recordedAt: fc.integer({ min: 0, max: 20 }).map((d) => iso(START - d * DAY)),
});

describe("eligibility (properties)", () => {
  it("never makes anyone without a current marketing grant for the channel eligible", () => {
    fc.assert(
      fc.property(
        fc.array(consentArb, { maxLength: 8 }),
        fc.array(fc.record({ channel: fc.constantFrom(...CHANNELS), plannedAt: timeArb.map(iso) }), { minLength: 1, maxLength: 10 }),
        fc.constantFrom(...ZONES),
        (consents, planned, timezone) => {
          const out = checkEligibility({
            candidates: planned.map((p) => ({ customerId: "c1", ...p })),
            customers: [{ customerId: "c1", timezone, consents }],
            config: { quietHours: null },
          });
          out.decisions.forEach((d, i) => {
            const relevant = consents.filter((c) => c.channel === planned[i].channel && c.purpose === "marketing");
            const latestT = Math.max(...relevant.map((c) => Date.parse(c.recordedAt)));
            const latest = relevant.filter((c) => Date.parse(c.recordedAt) === latestT);
            const hasConsent = latest.length > 0 && latest.every((c) => c.status === "granted");
            if (!hasConsent) {
              expect(d.eligible).toBe(false);
              expect(d.reasons.some((r) => r.code === "no_consent" || r.code === "consent_revoked")).toBe(true);
            }
          });
        },
      ),
      { numRuns: 300 },
    );
  });

  const capArb = fc.option(fc.integer({ min: 0, max: 4 }), { nil: null });
  const configArb: fc.Arbitrary<EligibilityConfigInput> = fc.record({
    quietHours: fc.option(fc.constant({ start: "21:00", end: "08:00" }), { nil: null }),
    channelDailyCap: fc.record({ email: capArb, sms: capArb, push: capArb, in_app: capArb }),
    channelRollingCap: fc.record({ email: capArb, sms: capArb, push: capArb, in_app: capArb }),
    totalDailyCap: capArb,
    totalRollingCap: fc.option(fc.integer({ min: 0, max: 8 }), { nil: null }),
    rollingWindowDays: fc.constantFrom(1, 3, 7),
  });
  const streamArb = fc.array(fc.record({ channel: fc.constantFrom(...CHANNELS), at: timeArb }), { minLength: 1, maxLength: 40 });

  /** An independent oracle: every cap holds for this set of sends. */
  function assertCapsHold(sends: { channel: Channel; at: number }[], timezone: string, config: EligibilityConfigInput) {
    const day = new Intl.DateTimeFormat("en-CA", { timeZone: timezone, year: "numeric", month: "2-digit", day: "2-digit" });
    const perDay = new Map<string, number>();
    for (const s of sends) {
      for (const key of [`${s.channel}|${day.format(s.at)}`, `*|${day.format(s.at)}`]) perDay.set(key, (perDay.get(key) ?? 0) + 1);
    }
    for (const [key, n] of perDay) {
      const [channel] = key.split("|");
      const cap = channel === "*" ? config.totalDailyCap : config.channelDailyCap?.[channel as Channel];
      if (cap !== null && cap !== undefined) expect(n).toBeLessThanOrEqual(cap);
    }
    const w = (config.rollingWindowDays ?? 7) * DAY;
    for (const start of sends) {
      const inWindow = sends.filter((s) => s.at >= start.at && s.at < start.at + w);
      if (config.totalRollingCap !== null && config.totalRollingCap !== undefined)
        expect(inWindow.length).toBeLessThanOrEqual(config.totalRollingCap);
      const channelCap = config.channelRollingCap?.[start.channel];
      if (channelCap !== null && channelCap !== undefined) {
        expect(inWindow.filter((s) => s.channel === start.channel).length).toBeLessThanOrEqual(channelCap);
      }
    }
  }

  const customerFor = (timezone: string, sends: { channel: Channel; at: number }[]): CustomerContactData => ({
    customerId: "c1",
    timezone,
    consents: CHANNELS.map((channel) => ({
      channel,
      purpose: "marketing" as const,
      status: "granted" as const,
      recordedAt: iso(START - DAY),
    })),
    sends: sends.map((s) => ({ channel: s.channel, at: iso(s.at) })),
  });

  it("never exceeds a cap under a greedy scheduler that sends whenever eligible, in any order", () => {
    fc.assert(
      fc.property(streamArb, fc.constantFrom(...ZONES), configArb, (stream, timezone, config) => {
        const sent: { channel: Channel; at: number }[] = [];
        for (const c of stream) {
          const candidate: CandidateContact = { customerId: "c1", channel: c.channel, plannedAt: iso(c.at) };
          const [d] = checkEligibility({ candidates: [candidate], customers: [customerFor(timezone, sent)], config }).decisions;
          if (d.eligible) sent.push(c);
        }
        assertCapsHold(sent, timezone, config);
      }),
      { numRuns: 150 },
    );
  });

  it("never exceeds a cap among the contacts one batch approves", () => {
    fc.assert(
      fc.property(streamArb, streamArb, fc.constantFrom(...ZONES), configArb, (history, stream, timezone, config) => {
        // Prior sends that already satisfy the caps, then a whole stream decided at once.
        const prior: { channel: Channel; at: number }[] = [];
        for (const c of history) {
          const [d] = checkEligibility({
            candidates: [{ customerId: "c1", channel: c.channel, plannedAt: iso(c.at) }],
            customers: [customerFor(timezone, prior)],
            config,
          }).decisions;
          if (d.eligible) prior.push(c);
        }
        const out = checkEligibility({
          candidates: stream.map((c) => ({ customerId: "c1", channel: c.channel, plannedAt: iso(c.at) })),
          customers: [customerFor(timezone, prior)],
          config,
        });
        assertCapsHold([...prior, ...stream.filter((_, i) => out.decisions[i].eligible)], timezone, config);
      }),
      { numRuns: 100 },
    );
  });

  it("decides the same without validation, given the parsed shape", () => {
    const customerArb = (customerId: string) =>
      fc.record({
        customerId: fc.constant(customerId),
        timezone: fc.constantFrom(...ZONES),
        consents: fc.array(consentArb, { maxLength: 6 }),
        sends: fc.array(fc.record({ channel: fc.constantFrom(...CHANNELS), at: timeArb.map(iso) }), { maxLength: 6 }),
        lastConversionAt: fc.option(timeArb.map(iso), { nil: null }),
        globalControl: fc.boolean(),
      });
    fc.assert(
      fc.property(
        fc.tuple(customerArb("c1"), customerArb("c2")),
        fc.array(
          fc.record({ customerId: fc.constantFrom("c1", "c2", "c3"), channel: fc.constantFrom(...CHANNELS), plannedAt: timeArb.map(iso) }),
          { minLength: 1, maxLength: 12 },
        ),
        (customers, planned) => {
          const input = eligibilityInputSchema.parse({
            candidates: planned.map((p, i) => ({ candidateId: String(i), ...p })),
            customers,
            outOfStockCategories: [],
          });
          const { config: _config, ...rest } = input;
          expect(checkEligibilityUnchecked(rest)).toEqual(checkEligibility(input));
        },
      ),
      { numRuns: 200 },
    );
  });
});
