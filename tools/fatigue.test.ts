import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import type { Channel } from "../ingest/formats.js";
import {
  assessFatigue,
  createFatigueTool,
  unansweredBackoffEnd,
  type CustomerFatigue,
  type EngagementEvent,
  type FatigueConfigInput,
} from "./fatigue.js";

const AS_OF = "2024-06-01T12:00:00.000Z";
const ago = (days: number) => new Date(Date.parse(AS_OF) - days * 86_400_000).toISOString();
const ev = (channel: Channel, type: EngagementEvent["type"], daysAgo: number): EngagementEvent => ({ channel, type, at: ago(daysAgo) });

function assess(events: EngagementEvent[], config: FatigueConfigInput = {}): CustomerFatigue {
  return assessFatigue({ asOf: AS_OF, customers: [{ customerId: "c1", events }], config }).customers[0];
}
const ch = (c: CustomerFatigue, channel: Channel) => c.channels.find((x) => x.channel === channel)!;

describe("agent tool schemas", () => {
  it("convert to JSON Schema, as binding them to a chat model requires", () => {
    for (const tool of [createFatigueTool()]) expect(() => toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0])).not.toThrow();
  });
});

describe("assessFatigue", () => {
  it("gives a customer without history no fatigue, the prior engagement and a targeted promo", () => {
    const c = assess([]);
    expect(c.fatigue).toBe(0);
    expect(c.fatigueChannel).toBeNull();
    expect(c.engagement).toBeCloseTo(0.3, 10);
    expect(c.strategy).toBe("targeted_promo");
    expect(c.backedOff).toEqual([]);
    expect(c.allowedChannels).toEqual(["email", "sms", "push", "in_app"]);
    expect(c.channels).toHaveLength(4);
  });

  it("decays exposures with the configured half-life", () => {
    expect(ch(assess([ev("email", "delivered", 0), ev("email", "delivered", 7)]), "email").decayedExposures).toBeCloseTo(1.5, 10);
    expect(ch(assess([ev("email", "delivered", 14)], { halfLifeDays: 14 }), "email").decayedExposures).toBeCloseTo(0.5, 10);
    // Volume is 0.5 when decayed exposures equal the steady state of the weekly tolerance,
    // (tolerance / 7) × half-life / ln 2: a tolerance of ln 2 a week makes that exactly one fresh exposure.
    const one = ch(assess([ev("email", "delivered", 0)], { weeklyTolerance: { email: Math.LN2 } }), "email");
    expect(one.volume).toBeCloseTo(0.5, 12);
    expect(one.streak).toBeCloseTo(1 - 2 ** (-1 / 10), 12);
    expect(one.fatigue).toBeCloseTo(1 - 0.5 * 2 ** (-1 / 10), 12);
  });

  it("weighs the same volume more on a less tolerant channel", () => {
    const answeredBurst = (channel: Channel) =>
      [0.5, 1.5, 2.5, 3.5].flatMap((d) => [ev(channel, "delivered", d), ev(channel, "open", d - 0.1)]);
    const email = ch(assess(answeredBurst("email")), "email");
    const push = ch(assess(answeredBurst("push")), "push");
    expect(email.unansweredStreak).toBe(0);
    expect(push.fatigue).toBeGreaterThan(email.fatigue);
    expect(assess(answeredBurst("push"), { weeklyTolerance: { push: 5 } }).fatigue).toBeCloseTo(email.fatigue, 10);
  });

  it("cools down a customer flooded on one channel and says which", () => {
    const flood = Array.from({ length: 12 }, (_, i) => ev("push", "delivered", i * 0.5));
    const c = assess(flood);
    expect(c.fatigue).toBeGreaterThan(0.7);
    expect(c.fatigueChannel).toBe("push");
    expect(c.strategy).toBe("cooldown");
    expect(c.reason).toMatch(/push/);
    expect(c.reason).toMatch(/cool down/);
  });

  it("backs off a channel after three unanswered exposures, with the reason", () => {
    const two = assess([ev("email", "open", 10), ev("email", "delivered", 6), ev("email", "delivered", 3)]);
    expect(two.backedOff).toEqual([]);
    const three = assess([ev("email", "open", 10), ev("email", "delivered", 6), ev("email", "delivered", 3), ev("email", "delivered", 1)]);
    expect(ch(three, "email").unansweredStreak).toBe(3);
    expect(three.backedOff).toHaveLength(1);
    expect(three.backedOff[0]).toMatchObject({ channel: "email", code: "unanswered_streak" });
    expect(three.backedOff[0].reason).toMatch(/3 email exposures unanswered/);
    expect(three.allowedChannels).toEqual(["sms", "push", "in_app"]);
    expect(three.reason).toMatch(/Backed off: email \(unanswered_streak\)/);
    expect(
      assess([ev("email", "delivered", 6), ev("email", "delivered", 3), ev("email", "delivered", 1)], { unansweredBackoff: 4 }).backedOff,
    ).toEqual([]);
  });

  it("rests a backed-off channel for backoffRestDays after the last unanswered exposure, then lets one probe through", () => {
    const three = (lastDaysAgo: number) => [
      ev("email", "delivered", lastDaysAgo + 14),
      ev("email", "delivered", lastDaysAgo + 7),
      ev("email", "delivered", lastDaysAgo),
    ];
    // 13 days after the third unanswered e-mail: still resting; 15 days after: the channel is open again.
    expect(assess(three(13)).backedOff).toEqual([expect.objectContaining({ channel: "email", code: "unanswered_streak" })]);
    expect(assess(three(13)).backedOff[0]!.reason).toMatch(/resting the channel until/);
    expect(assess(three(15)).backedOff).toEqual([]);
    expect(assess(three(15)).allowedChannels).toContain("email");
    // The streak itself is not forgotten: its count (and fatigue's streak term) stay.
    expect(ch(assess(three(15)), "email").unansweredStreak).toBe(3);
    // The probe after the rest goes unanswered too: the channel rests again, from that probe.
    const probed = [...three(30), ev("email", "delivered", 10)];
    expect(ch(assess(probed), "email").unansweredStreak).toBe(4);
    expect(assess(probed).backedOff.map((b) => b.code)).toEqual(["unanswered_streak"]);
    // With a growing rest, each further unanswered probe rests the channel longer.
    expect(assess([...three(60), ev("email", "delivered", 20)], { backoffRestGrowth: 2 }).backedOff).toHaveLength(1);
    expect(assess([...three(60), ev("email", "delivered", 20)]).backedOff).toEqual([]);
    expect(assess(three(10), { backoffRestDays: 7 }).backedOff).toEqual([]);
  });

  it("ends a back-off at the rest computed from the streak beyond the threshold", () => {
    const day = 86_400_000;
    const constant = { unansweredBackoff: 3, backoffRestDays: 14, backoffRestGrowth: 1 };
    expect(unansweredBackoffEnd(2, 1_000, constant)).toBeNull();
    expect(unansweredBackoffEnd(3, null, constant)).toBeNull();
    expect(unansweredBackoffEnd(3, 1_000, constant)).toBe(1_000 + 14 * day);
    expect(unansweredBackoffEnd(7, 1_000, constant)).toBe(1_000 + 14 * day);
    const doubling = { ...constant, backoffRestGrowth: 2 };
    expect(unansweredBackoffEnd(3, 1_000, doubling)).toBe(1_000 + 14 * day);
    expect(unansweredBackoffEnd(4, 1_000, doubling)).toBe(1_000 + 28 * day);
    expect(unansweredBackoffEnd(6, 1_000, doubling)).toBe(1_000 + 112 * day);
  });

  it("resets the unanswered streak on an open, click or conversion on that channel only", () => {
    const events = [ev("email", "delivered", 5), ev("email", "delivered", 4), ev("email", "delivered", 3), ev("sms", "click", 2)];
    expect(ch(assess(events), "email").unansweredStreak).toBe(3);
    for (const type of ["open", "click", "conversion"] as const) {
      expect(ch(assess([...events, ev("email", type, 2)]), "email").unansweredStreak).toBe(0);
    }
  });

  it("treats a recent unsubscribe as maximal fatigue and backs off the channel", () => {
    const c = assess([ev("email", "delivered", 3), ev("email", "unsubscribe", 2)]);
    expect(ch(c, "email").fatigue).toBe(1);
    expect(c.fatigue).toBe(1);
    expect(c.strategy).toBe("cooldown");
    expect(c.reason).toMatch(/unsubscribe from email/);
    expect(c.backedOff).toEqual([expect.objectContaining({ channel: "email", code: "unsubscribed" })]);
    const old = assess([ev("email", "delivered", 50), ev("email", "unsubscribe", 45)]);
    expect(old.fatigue).toBeLessThan(0.7);
    expect(old.backedOff.some((b) => b.code === "unsubscribed")).toBe(false);
  });

  it("re-engages a customer who stopped answering without being flooded", () => {
    const c = assess([0, 1, 2, 3, 4, 5].map((w) => ev("email", "delivered", 1 + 7 * w)));
    expect(c.engagement).toBeLessThan(0.2);
    expect(c.fatigue).toBeLessThanOrEqual(0.7);
    expect(c.strategy).toBe("reengage");
    expect(c.reason).toMatch(/^Engagement 0\.\d\d < 0\.20/);
  });

  it("measures engagement as a decayed response rate, one answer per exposure", () => {
    const answered = assess([0, 1, 2, 3].flatMap((w) => [ev("email", "delivered", 1 + 7 * w), ev("email", "open", 7 * w + 0.5)]));
    const sw = [0, 1, 2, 3].reduce((acc, wk) => acc + 2 ** (-(1 + 7 * wk) / 14), 0);
    expect(answered.engagement).toBeCloseTo((sw + 0.3) / (sw + 1), 10);
    expect(answered.strategy).toBe("targeted_promo");
    // An open and a click on the same message count once: (w + 0.3) / (w + 1).
    const w = 2 ** (-1 / 14);
    const once = assess([ev("sms", "delivered", 1), ev("sms", "open", 0.9), ev("sms", "click", 0.8)]);
    expect(ch(once, "sms").engagement).toBeCloseTo((w + 0.3) / (w + 1), 10);
    // Recent answers count more than old ones.
    const recentAnswer = assess([ev("email", "delivered", 30), ev("email", "delivered", 1), ev("email", "open", 0.5)]);
    const oldAnswer = assess([ev("email", "delivered", 30), ev("email", "open", 29.5), ev("email", "delivered", 1)]);
    expect(recentAnswer.engagement).toBeGreaterThan(oldAnswer.engagement);
  });

  it("ignores events after asOf and before the lookback window", () => {
    const c = assess([ev("push", "delivered", -1), ev("push", "unsubscribe", -2), ev("email", "delivered", 120)]);
    expect(c.channels.every((x) => x.exposures === 0)).toBe(true);
    expect(c.fatigue).toBe(0);
  });

  it("backs off a channel whose last message bounced", () => {
    expect(assess([ev("email", "delivered", 5), ev("email", "bounce", 2)]).backedOff).toEqual([
      expect.objectContaining({ channel: "email", code: "bounced" }),
    ]);
    expect(assess([ev("email", "bounce", 5), ev("email", "delivered", 2)]).backedOff).toEqual([]);
  });

  it("applies configured strategy thresholds", () => {
    const flood = Array.from({ length: 12 }, (_, i) => ev("push", "delivered", i * 0.5));
    expect(assess(flood, { cooldownThreshold: 0.99 }).strategy).toBe("reengage");
    expect(assess([], { reengageThreshold: 0.5 }).strategy).toBe("reengage");
  });

  it("rejects malformed input", () => {
    expect(() => assessFatigue({ asOf: "yesterday", customers: [] })).toThrow();
    expect(() =>
      assessFatigue({ asOf: AS_OF, customers: [{ customerId: "c1", events: [{ channel: "fax" as Channel, type: "open", at: AS_OF }] }] }),
    ).toThrow();
  });

  it("is exposed as an agent tool that loads histories and reads time from the injected clock", async () => {
    const tool = createFatigueTool({
      clock: new ManualClock(AS_OF),
      loadHistories: async (ids) => ids.map((customerId) => ({ customerId, events: [ev("email", "unsubscribe", 1)] })),
    });
    const out = JSON.parse(await tool.invoke({ customerIds: ["c7"] }));
    expect(out.asOf).toBe(AS_OF);
    expect(out.customers[0]).toMatchObject({ customerId: "c7", strategy: "cooldown" });
  });
});
