import { describe, expect, it } from "vitest";
import type { Campaign } from "../../../core/domain.js";
import { assessPlanRisk } from "../../../guardrails/approval.js";
import { prepareAuditEntry } from "../../../guardrails/audit.js";
import type { ApprovalRow } from "../../../store/approvals-repo.js";
import { cycleSettingsSchema } from "../settings.js";
import type { CycleState } from "../state.js";
import { contentChecks, contentVersionsOf, fairnessCheck, planRiskInput, reviewOutcome, verdictEntries } from "./review.js";

const settings = cycleSettingsSchema.parse({});
const campaign = (over: Partial<Campaign> = {}): Campaign => ({
  campaignId: "c1.s1.winback.sms",
  segmentId: "s1",
  segmentName: "Lapsed",
  strategy: "winback",
  channel: "sms",
  offerDepth: 0.1,
  sendHourLocal: 10,
  source: "offline",
  variants: [{ variantId: "winback.sms.1", fields: { text: "Hi {{first_name}}, 10% off with {{offer_code}}. Reply STOP to opt out" } }],
  ...over,
});

describe("contentChecks", () => {
  it("passes clean copy and names each variant's issues otherwise", () => {
    const [ok, banned, empty] = contentChecks(
      [
        campaign(),
        campaign({
          campaignId: "b",
          variants: [{ variantId: "b.sms.1", fields: { text: "Guaranteed savings, act now! STOP to opt out" } }],
        }),
        campaign({ campaignId: "e", variants: [] }),
      ],
      settings,
    );
    expect(ok).toEqual({ check: "content_qa", subject: "c1.s1.winback.sms", passed: true, reasons: [] });
    expect(banned!.passed).toBe(false);
    expect(banned!.reasons.every((r) => r.startsWith("b.sms.1: "))).toBe(true);
    expect(empty).toEqual({ check: "content_qa", subject: "e", passed: false, reasons: ["no variant passed content QA"] });
  });
});

describe("fairnessCheck", () => {
  const target = (ageBand: string, decision: string) => ({ decision, offerDepth: 0.1, ageBand, region: "north" });
  it("passes offers spread evenly across groups and flags offers given to one group only", () => {
    const even = [...Array.from({ length: 200 }, (_, i) => target(i % 2 ? "18-34" : "55+", i % 4 < 2 ? "contact" : "skip"))];
    expect(fairnessCheck("c1", even, settings)).toMatchObject({ check: "fairness", subject: "cycle c1", passed: true });
    const skewed = [
      ...Array.from({ length: 100 }, () => target("18-34", "contact")),
      ...Array.from({ length: 100 }, () => target("55+", "skip")),
    ];
    const v = fairnessCheck("c1", skewed, settings);
    expect(v.passed).toBe(false);
    expect(v.reasons.length).toBeGreaterThan(0);
  });
});

describe("review's audit, risk input and outcome", () => {
  const plan = {
    segments: [
      { offerDepth: 0.1, contacts: 50 },
      { offerDepth: 0.5, contacts: 0 },
    ],
    contacts: 50,
  } as unknown as NonNullable<CycleState["plan"]>;

  it("one verdict entry per check, accepted by the audit schema", () => {
    const checks = contentChecks([campaign()], settings);
    const entries = verdictEntries("pulse", "c1", checks).map((e) => prepareAuditEntry(e, new Date()));
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ kind: "guardrail_verdict", cycleId: "c1", entry: { check: "content_qa", passed: true } });
  });

  it("weighs only the offers of segments that are contacted, and each content version once", () => {
    const versions = contentVersionsOf([campaign(), campaign({ campaignId: "x" })]);
    expect(versions).toHaveLength(1);
    expect(planRiskInput(plan, versions, [])).toEqual({ maxDiscount: 0.1, audienceSize: 50, contentVersions: versions, checks: [] });
  });

  it("a policy-approved request approves the cycle; an open one waits for a human", () => {
    const checks = contentChecks([campaign()], settings);
    const risk = assessPlanRisk(planRiskInput(plan, contentVersionsOf([campaign()]), checks), new Set(), settings.approvalPolicy);
    const now = new Date("2026-03-02T00:00:00Z");
    const row: ApprovalRow = {
      approvalId: "a1",
      cycleId: "c1",
      requestedBy: "cli:mia",
      risk,
      decision: null,
      decidedBy: null,
      reason: null,
      createdAt: now,
      expiresAt: new Date("2026-03-03T00:00:00Z"),
      decidedAt: null,
    };
    const waiting = reviewOutcome(checks, risk, row, now);
    expect(waiting.status).toBe("awaiting_approval");
    expect(waiting.approval).toBeUndefined();
    expect(waiting.review).toMatchObject({ approvalId: "a1", autoApproved: false, expiresAt: "2026-03-03T00:00:00.000Z" });
    const approved = reviewOutcome(checks, risk, { ...row, decision: "approved", decidedBy: "policy:auto" }, now);
    expect(approved.status).toBe("approved");
    expect(approved.approval).toEqual({
      decision: "approved",
      by: "policy:auto",
      reason: "auto-approved by policy",
      at: now.toISOString(),
    });
  });
});
