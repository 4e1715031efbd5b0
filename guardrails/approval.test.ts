import { describe, expect, it } from "vitest";
import { assessPlanRisk, contentVersionKey, DEFAULT_APPROVAL_POLICY } from "./approval.js";

const tpl = contentVersionKey({ type: "template", id: "winback", version: 3 });
const prompt = contentVersionKey({ type: "prompt", id: "copywriter", version: 2, hash: "ab12" });
const seen = new Set([tpl, prompt]);
const base = { maxDiscount: 0.15, audienceSize: 10_000, contentVersions: [tpl, prompt] };

describe("assessPlanRisk", () => {
  it("auto-approves a plan with no trigger, recording the policy version", () => {
    const r = assessPlanRisk(base, seen);
    expect(r).toMatchObject({ tier: "auto", triggers: [], policyVersion: DEFAULT_APPROVAL_POLICY.version });
    expect(contentVersionKey({ type: "prompt", id: "copywriter", version: 2, hash: "ab12" })).toBe("prompt:copywriter@v2#ab12");
  });
  it("sends each risk to a human with its own trigger code", () => {
    expect(assessPlanRisk({ ...base, maxDiscount: 0.2 }, seen).tier).toBe("auto"); // at the limit is allowed
    expect(assessPlanRisk({ ...base, maxDiscount: 0.25 }, seen).triggers.map((t) => t.code)).toEqual(["discount_above_limit"]);
    expect(assessPlanRisk({ ...base, audienceSize: 50_001 }, seen).triggers.map((t) => t.code)).toEqual(["audience_above_limit"]);
    const fresh = assessPlanRisk({ ...base, contentVersions: [tpl, "prompt:copywriter@v3#cd34"] }, seen);
    expect(fresh).toMatchObject({
      tier: "human",
      triggers: [{ code: "new_content_version", message: expect.stringContaining("prompt:copywriter@v3#cd34") }],
    });
    const flagged = assessPlanRisk(
      {
        ...base,
        checks: [
          { check: "fairness", passed: false, reasons: ["age_band ratio 0.6"] },
          { check: "content_qa", passed: true },
        ],
      },
      seen,
    );
    expect(flagged.triggers).toEqual([{ code: "guardrail_flagged", message: "fairness flagged: age_band ratio 0.6" }]);
  });
  it("takes limits from configuration", () => {
    const r = assessPlanRisk({ ...base, maxDiscount: 0.3, audienceSize: 100 }, seen, {
      maxAutoDiscount: 0.35,
      maxAutoAudience: 50,
      version: "strict/2",
    });
    expect(r).toMatchObject({ tier: "human", policyVersion: "strict/2", triggers: [{ code: "audience_above_limit" }] });
    expect(assessPlanRisk({ ...base, contentVersions: ["template:new@v1"] }, seen, { newContentNeedsHuman: false }).tier).toBe("auto");
  });
});
