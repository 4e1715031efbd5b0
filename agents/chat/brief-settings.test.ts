import { describe, expect, it } from "vitest";
import { cycleSettingsSchema } from "../../workflows/cycle/settings.js";
import { BriefError, briefToSettings } from "./brief-settings.js";
import { PARAMS_SCHEMAS } from "./params.js";
import { refusal } from "./permissions.js";
import { rulesToLift } from "./actions/pauses.js";

const base = cycleSettingsSchema.parse({});

describe("briefToSettings", () => {
  it("maps a brief onto cycle settings: cap, channels, offers, and the brief planning honours", () => {
    const s = cycleSettingsSchema.parse(
      briefToSettings(
        {
          strategy: "winback",
          max_discount: 0.15,
          category: "grocery",
          channels: ["email"],
          audience: { filters: ["lapsed"] },
          window: { start: "2026-01-07", end: "2026-01-11" },
          budget: 5000,
        },
        base,
      ),
    );
    expect(s.maxDiscount).toBe(0.15);
    expect(s.channels).toEqual(["email"]);
    expect(s.offerDepths).toEqual([0, 0.1, 0.15]);
    expect(s.brief).toEqual({
      strategy: "winback",
      category: "grocery",
      audience: { filters: ["lapsed"] },
      window: { start: "2026-01-07", end: "2026-01-11" },
      budget: 5000,
    });
  });

  it("never widens the base settings", () => {
    expect(briefToSettings({ max_discount: 0.5 }, base).maxDiscount).toBe(base.maxDiscount);
    expect(briefToSettings({ max_discount: 0 }, base).offerDepths).toEqual([0]);
    expect(() => briefToSettings({ channels: ["sms"] }, { ...base, channels: ["email"] })).toThrow(BriefError);
    expect(briefToSettings({}, base)).toMatchObject({ maxDiscount: base.maxDiscount, channels: base.channels, brief: {} });
  });
});

describe("params schemas", () => {
  it("accept what understanding extracts and refuse what it should not carry", () => {
    expect(PARAMS_SCHEMAS.plan_campaign.safeParse({ strategy: "winback", max_discount: 0.15 }).success).toBe(true);
    expect(PARAMS_SCHEMAS.plan_campaign.safeParse({ strategy: "spam" }).success).toBe(false);
    expect(PARAMS_SCHEMAS.pause.safeParse({ channels: ["sms"], until: "2026-01-12" }).success).toBe(true);
    expect(PARAMS_SCHEMAS.pause.safeParse({ until: "monday" }).success).toBe(false);
    expect(PARAMS_SCHEMAS.help.safeParse({ anything: 1 }).success).toBe(false);
  });
});

describe("permissions", () => {
  it("follow core/roles.ts", () => {
    expect(refusal("marketer", "plan_campaign")).toBeNull();
    expect(refusal("marketer", "approve")).toMatch(/may not approve/);
    expect(refusal("approver", "approve")).toBeNull();
    expect(refusal("approver", "pause")).toMatch(/pause/);
    expect(refusal("compliance", "audit_export")).toBeNull();
    expect(refusal("marketer", "help")).toBeNull();
  });
});

describe("rulesToLift", () => {
  const rule = (ruleId: string, channels: string[] | null, segmentId: string | null) => ({
    ruleId,
    channels,
    segmentId,
    reason: "",
    createdBy: "a",
    createdAt: new Date(0),
    until: null,
    liftedBy: null,
    liftedAt: null,
  });
  it("lifts the pauses a resume names", () => {
    const rules = [rule("a", ["sms"], null), rule("b", ["email"], null), rule("c", null, "seg-2")];
    expect(rulesToLift(rules, { channels: ["sms"] }).map((r) => r.ruleId)).toEqual(["a", "c"]);
    expect(rulesToLift(rules, { segment: "seg-2" }).map((r) => r.ruleId)).toEqual(["c"]);
    expect(rulesToLift(rules, {}).map((r) => r.ruleId)).toEqual(["a", "b", "c"]);
  });
});
