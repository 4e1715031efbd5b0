import { describe, expect, it } from "vitest";
import type { SegmentPlan } from "../../agents/strategist/index.js";
import type { SuppressionRule } from "../../store/suppression-rules-repo.js";
import {
  applyBrief,
  briefSendFrom,
  briefSendUntil,
  OUTSIDE_BRIEF_WINDOW,
  windowCap,
  windowEndedAtSend,
  briefStrategies,
  briefWindowError,
  categoryPreference,
  pauseAtSend,
  pauseSuppressions,
  segmentInAudience,
  windowBound,
} from "./brief.js";

const seg = (segmentId: string, name: string, traits: string[] = []) => ({ segmentId, name, traits });
const plan = (segmentId: string, over: Partial<SegmentPlan> = {}): SegmentPlan => ({
  segmentId,
  name: segmentId,
  strategy: "winback",
  optionId: `winback.email.10`,
  channel: "email",
  offerDepth: 0.1,
  sendHourLocal: 10,
  contacts: 10,
  budget: 5,
  expectedIncrementalMargin: 20,
  reasons: [],
  ...over,
});

describe("segmentInAudience", () => {
  it("covers named segments and archetypes, and segments every filter describes", () => {
    expect(segmentInAudience(seg("seg-1", "Champions"), undefined)).toBe(true);
    expect(segmentInAudience(seg("seg-1", "Champions"), { segments: ["seg-1"] })).toBe(true);
    expect(segmentInAudience(seg("seg-2", "Champions"), { segments: ["seg-1"] })).toBe(false);
    expect(segmentInAudience(seg("seg-2", "Premium Loyalists (higher aov)"), { archetypes: ["Premium Loyalists"] })).toBe(true);
    expect(segmentInAudience(seg("seg-3", "Hibernating"), { filters: ["lapsed"] })).toBe(true);
    expect(segmentInAudience(seg("seg-3", "Mid spenders", ["recency_days high (1.2)"]), { filters: ["lapsed"] })).toBe(true);
    expect(segmentInAudience(seg("seg-3", "Churn-Prone Spenders"), { filters: ["lapsed", "high_value"] })).toBe(true);
    expect(segmentInAudience(seg("seg-3", "Hibernating"), { filters: ["lapsed", "high_value"] })).toBe(false);
    expect(segmentInAudience(seg("seg-4", "Champions"), { filters: ["lapsed"] })).toBe(false);
  });
});

describe("briefStrategies", () => {
  it("narrows contact strategies to the brief's", () => {
    const all = ["targeted_promo", "reengage", "winback", "cross_sell"] as const;
    expect(briefStrategies({ strategy: "winback" }, all)).toEqual(["winback"]);
    expect(briefStrategies({ strategy: "cooldown" }, all)).toEqual(all);
    expect(briefStrategies(undefined, all)).toEqual(all);
  });
});

describe("applyBrief", () => {
  const segments = [seg("seg-1", "Hibernating"), seg("seg-2", "Champions"), seg("seg-3", "Dormant Loyalists")];
  it("does not contact segments outside the audience", () => {
    const out = applyBrief([plan("seg-1"), plan("seg-2"), plan("seg-3")], { audience: { filters: ["lapsed"] } }, segments);
    expect(out.map((p) => [p.segmentId, p.strategy, p.contacts])).toEqual([
      ["seg-1", "winback", 10],
      ["seg-2", "suppress", 0],
      ["seg-3", "winback", 10],
    ]);
    expect(out[1]!.reasons.at(-1)).toMatch(/outside the brief's audience/);
  });

  it("keeps the best paying plans within the budget", () => {
    const out = applyBrief(
      [
        plan("seg-1", { budget: 6, expectedIncrementalMargin: 10 }),
        plan("seg-2", { budget: 5, expectedIncrementalMargin: 30 }),
        plan("seg-3", { budget: 4 }),
      ],
      { budget: 10 },
      segments,
    );
    expect(out.map((p) => [p.segmentId, p.channel])).toEqual([
      ["seg-1", null],
      ["seg-2", "email"],
      ["seg-3", "email"],
    ]);
  });

  it("applies a cool-down brief to its audience", () => {
    const out = applyBrief([plan("seg-1"), plan("seg-2")], { strategy: "cooldown", audience: { segments: ["seg-2"] } }, segments);
    expect(out.map((p) => [p.strategy, p.contacts])).toEqual([
      ["suppress", 0],
      ["cooldown", 0],
    ]);
  });
});

describe("pauseSuppressions", () => {
  const rule = (over: Partial<SuppressionRule>): SuppressionRule => ({
    ruleId: "r1",
    channels: ["sms"],
    segmentId: null,
    reason: "",
    createdBy: "cli:ann",
    createdAt: new Date("2026-01-07T00:00:00Z"),
    until: new Date("2026-01-12T00:00:00Z"),
    liftedBy: null,
    liftedAt: null,
    ...over,
  });
  it("suppresses the rule's channels for covered customers while it holds", () => {
    const at = new Date("2026-01-08T10:00:00Z");
    expect(pauseSuppressions([rule({})], "seg-1", at).map((s) => s.channel)).toEqual(["sms"]);
    expect(pauseSuppressions([rule({ channels: null })], "seg-1", at).map((s) => s.channel)).toEqual(["all"]);
    expect(pauseSuppressions([rule({ segmentId: "seg-2" })], "seg-1", at)).toEqual([]);
    expect(pauseSuppressions([rule({})], "seg-1", new Date("2026-01-12T00:00:00Z"))).toEqual([]);
    expect(pauseSuppressions([rule({ until: null })], "seg-1", new Date("2027-01-01T00:00:00Z"))).toHaveLength(1);
  });
});

describe("the brief's window", () => {
  const now = new Date("2026-12-04T12:00:00Z");
  it("reads dates as whole UTC days and instants as given", () => {
    expect(windowBound("2026-12-07", "start").toISOString()).toBe("2026-12-07T00:00:00.000Z");
    expect(windowBound("2026-12-07", "end").toISOString()).toBe("2026-12-08T00:00:00.000Z");
    expect(windowBound("2026-12-07T09:30:00Z", "end").toISOString()).toBe("2026-12-07T09:30:00.000Z");
    expect(() => windowBound("next week", "start")).toThrow(RangeError);
  });
  it("refuses a window that has ended or ends before it starts, and accepts one that has not", () => {
    expect(briefWindowError({ window: { start: "2026-11-01", end: "2026-11-30" } }, now)).toMatch(/ended on 2026-11-30/);
    expect(briefWindowError({ window: { end: "2026-12-03" } }, now)).toMatch(/ended/);
    expect(briefWindowError({ window: { start: "2026-12-10", end: "2026-12-08" } }, now)).toMatch(/starts \(2026-12-10\) after it ends/);
    expect(briefWindowError({ window: { end: "2026-12-04" } }, now)).toBeNull();
    expect(briefWindowError({ window: { start: "2026-12-01" } }, now)).toBeNull();
    expect(briefWindowError(undefined, now)).toBeNull();
  });
  it("caps sends at the window's end: a send time at or after it is skipped with a reason code; an open window caps nothing", () => {
    const brief = { window: { end: "2026-12-07" } };
    expect(briefSendUntil(brief)?.toISOString()).toBe("2026-12-08T00:00:00.000Z");
    expect(briefSendUntil({ window: { start: "2026-12-07" } })).toBeNull();
    expect(windowCap(brief, new Date("2026-12-07T23:59:59Z"))).toBeNull();
    expect(windowCap(brief, new Date("2026-12-08T00:00:00Z"))).toMatchObject({
      code: OUTSIDE_BRIEF_WINDOW,
      message: /ends 2026-12-08T00:00:00.000Z/,
    });
    expect(windowCap(undefined, new Date("2030-01-01T00:00:00Z"))).toBeNull();
    expect(windowEndedAtSend("2026-12-08T00:00:00.000Z", new Date("2026-12-07T10:00:00Z"))).toBeNull();
    expect(windowEndedAtSend("2026-12-08T00:00:00.000Z", new Date("2026-12-08T10:00:00Z"))).toMatch(
      /window ended 2026-12-08T00:00:00.000Z/,
    );
    expect(windowEndedAtSend(undefined, new Date("2030-01-01T00:00:00Z"))).toBeNull();
  });
  it("sends from the window's start when it is later than the as-of", () => {
    expect(briefSendFrom({ window: { start: "2026-12-07" } }, now).toISOString()).toBe("2026-12-07T00:00:00.000Z");
    expect(briefSendFrom({ window: { start: "2026-12-01" } }, now)).toEqual(now);
    expect(briefSendFrom({}, now)).toEqual(now);
  });
});

describe("categoryPreference", () => {
  it("prefers members who buy the category, and only when some do", () => {
    expect(categoryPreference({ category: "grocery" }, [0.4, 0, 0.1])).toEqual([true, false, true]);
    expect(categoryPreference({ category: "grocery" }, [0, 0])).toBeNull();
    expect(categoryPreference({ category: "grocery" }, null)).toBeNull();
    expect(categoryPreference({}, [0.4, 0])).toBeNull();
  });
});

describe("pauseAtSend", () => {
  const at = new Date("2026-12-04T12:00:00Z");
  const rule = (over: Partial<SuppressionRule>): SuppressionRule => ({
    ruleId: "r-1",
    channels: ["sms"],
    segmentId: "seg-1",
    reason: "pause",
    createdBy: "U1",
    createdAt: new Date("2026-12-04T11:00:00Z"),
    until: null,
    liftedBy: null,
    liftedAt: null,
    ...over,
  });
  it("finds the rule in force on the message's channel and segment", () => {
    expect(pauseAtSend([rule({})], "seg-1", "sms", at)?.ruleId).toBe("r-1");
    expect(pauseAtSend([rule({ channels: null, segmentId: null })], "seg-9", "email", at)?.ruleId).toBe("r-1");
    expect(pauseAtSend([rule({})], "seg-1", "email", at)).toBeNull();
    expect(pauseAtSend([rule({})], "seg-2", "sms", at)).toBeNull();
    expect(pauseAtSend([rule({ until: new Date("2026-12-04T11:30:00Z") })], "seg-1", "sms", at)).toBeNull();
    expect(pauseAtSend([rule({ liftedAt: new Date("2026-12-04T11:30:00Z") })], "seg-1", "sms", at)).toBeNull();
    expect(pauseAtSend([rule({ createdAt: new Date("2026-12-04T13:00:00Z") })], "seg-1", "sms", at)).toBeNull();
  });
});
