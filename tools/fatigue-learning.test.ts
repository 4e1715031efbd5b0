import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CHANNELS } from "../ingest/formats.js";
import { learnFatigue, learnedLimitsFor, type ChannelCaps } from "./fatigue-learning.js";

const POLICY: ChannelCaps = { email: 5, sms: 2, push: 2, in_app: null };

describe("learnFatigue", () => {
  it("moves toward fewer contacts where opt-outs outweigh responses", () => {
    const [s] = learnFatigue({
      segments: [{ segmentId: "s1", channels: [{ channel: "email", sends: 2000, unsubscribes: 60, responses: 20 }] }],
      policyCaps: POLICY,
    }).segments;
    expect(s.code).toBe("optouts_outweigh");
    expect(s.after.cooldownThreshold).toBeLessThan(s.before.cooldownThreshold);
    expect(s.after.rollingCaps.email).toBe(4);
    expect(s.after.rollingCaps.sms).toBe(2);
    expect(s.reason).toMatch(/opt-outs outweigh/);
  });

  it("moves toward more contacts where responses pay, but never past the policy's cap", () => {
    const current = { cooldownThreshold: 0.7, rollingCaps: { email: 3, sms: 2, push: 2, in_app: null } };
    const [s] = learnFatigue({
      segments: [
        {
          segmentId: "s2",
          current,
          channels: [
            { channel: "email", sends: 3000, unsubscribes: 3, responses: 150 },
            { channel: "sms", sends: 3000, unsubscribes: 3, responses: 150 },
          ],
        },
      ],
      policyCaps: POLICY,
    }).segments;
    expect(s.code).toBe("responses_pay");
    expect(s.after.cooldownThreshold).toBeCloseTo(0.75, 10);
    expect(s.after.rollingCaps.email).toBe(4);
    expect(s.after.rollingCaps.sms).toBe(2);
    expect(s.after.rollingCaps.in_app).toBeNull();
  });

  it("keeps the values with too few sends or no clear balance, and re-clamps them when the policy tightened", () => {
    const current = { cooldownThreshold: 0.8, rollingCaps: { email: 6, sms: 2, push: 2, in_app: 9 } };
    const out = learnFatigue({
      segments: [
        { segmentId: "few", current, channels: [{ channel: "email", sends: 30, unsubscribes: 5, responses: 0 }] },
        { segmentId: "even", current, channels: [{ channel: "email", sends: 1000, unsubscribes: 3, responses: 9 }] },
      ],
      policyCaps: { ...POLICY, in_app: 7 },
    }).segments;
    expect(out.map((s) => s.code)).toEqual(["insufficient_evidence", "inconclusive"]);
    for (const s of out) {
      expect(s.after.cooldownThreshold).toBe(0.8);
      expect(s.after.rollingCaps).toEqual({ email: 5, sms: 2, push: 2, in_app: 7 });
    }
  });

  it("property: learned caps never exceed the policy's caps and the threshold stays in its bounds", () => {
    const cap = fc.option(fc.integer({ min: 0, max: 20 }), { nil: null });
    const evidence = fc.record({
      sends: fc.integer({ min: 0, max: 5000 }),
      unsubscribes: fc.integer({ min: 0, max: 200 }),
      responses: fc.integer({ min: 0, max: 500 }),
    });
    fc.assert(
      fc.property(
        fc.record({ email: cap, sms: cap, push: cap, in_app: cap }),
        fc.record({ email: cap, sms: cap, push: cap, in_app: cap }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.array(fc.tuple(fc.constantFrom(...CHANNELS), evidence), { maxLength: 4 }),
        fc.integer({ min: 1, max: 6 }),
        (policyCaps, currentCaps, threshold, channels, cycles) => {
          let current = { cooldownThreshold: threshold, rollingCaps: currentCaps };
          for (let i = 0; i < cycles; i++) {
            const [s] = learnFatigue({
              segments: [{ segmentId: "p", current, channels: channels.map(([channel, e]) => ({ channel, ...e })) }],
              policyCaps,
            }).segments;
            for (const c of CHANNELS) {
              const limit = policyCaps[c];
              if (limit !== null) expect(s.after.rollingCaps[c]).not.toBeNull();
              if (limit !== null) expect(s.after.rollingCaps[c]!).toBeLessThanOrEqual(limit);
            }
            expect(s.after.cooldownThreshold).toBeGreaterThanOrEqual(Math.min(0.4, threshold));
            expect(s.after.cooldownThreshold).toBeLessThanOrEqual(Math.max(0.9, threshold));
            current = s.after;
          }
        },
      ),
    );
  });

  it("gives eligibility the channel's learned cap and the threshold", () => {
    const learned = { cooldownThreshold: 0.6, rollingCaps: { email: 3, sms: 1, push: 2, in_app: null } };
    expect(learnedLimitsFor(learned, "email")).toEqual({ rollingCap: 3, cooldownThreshold: 0.6 });
    expect(learnedLimitsFor(learned, "in_app")).toEqual({ cooldownThreshold: 0.6 });
    expect(learnedLimitsFor(undefined, "email")).toEqual({});
  });
});
