import { describe, expect, it } from "vitest";
import type { PendingPlan } from "../../agents/chat/contract.js";
import { parseConfig } from "../../core/config.js";
import { APPROVAL_EXPIRY_ACTOR } from "../../guardrails/approval-rules.js";
import { cycleStateSchema, type CycleState } from "../../workflows/cycle/state.js";
import { pendingPlanOf, planOf } from "../../agents/chat/pending-plan.js";
import { escapeMrkdwn, liftBlocks, MAX_SEGMENT_BLOCKS, planBlocks, planText, planTotals, rejectModal, who } from "./plan-blocks.js";
import { planOutcome } from "./plan-outcome.js";
import { APPROVE_ACTION, planRefSchema, REJECT_ACTION, REJECT_MODAL, REJECT_REASON, rejectModalMetadataSchema } from "./payloads.js";
import { checkTimestamp, MAX_CLOCK_SKEW_SECONDS } from "./request-gate.js";
import { slackActor, unknownUserText } from "./slack-actor.js";

const plan: PendingPlan = {
  cycleId: "c-20260101-abcdef",
  approvalId: "ap-1",
  requestedBy: "slack:UMKT",
  expiresAt: "2026-01-02T09:00:00.000Z",
  segments: [
    {
      segmentId: "seg-1",
      name: "Lapsed <grocery> & co",
      strategy: "winback",
      channel: "email",
      offer: 0.15,
      contacts: 1234,
      budget: 567.5,
      expectedIncrementalMargin: 890.25,
    },
    {
      segmentId: "seg-2",
      name: "Loyal",
      strategy: "cross_sell",
      channel: "push",
      offer: 0,
      contacts: 100,
      budget: 10,
      expectedIncrementalMargin: 20,
    },
  ],
  flags: ["new_content_version: template copy@v1 was never approved", "fairness failed on seg-1: ratio 0.7"],
};

type AnyBlock = { type: string; [k: string]: unknown };
const blockText = (blocks: AnyBlock[]) => JSON.stringify(blocks);
const actionsOf = (blocks: AnyBlock[]) =>
  blocks.filter((b) => b.type === "actions") as unknown as Array<{ elements: Array<{ action_id: string; value: string; style: string }> }>;

function state(overrides: Partial<CycleState> = {}): CycleState {
  return cycleStateSchema.parse({
    cycleId: "c-1",
    requestedBy: "slack:UMKT",
    asOf: "2026-01-01T00:00:00.000Z",
    settings: {},
    status: "awaiting_approval",
    plan: {
      considered: 3,
      contacts: 50,
      skipped: {},
      segments: [
        {
          segmentId: "seg-1",
          name: "A",
          strategy: "winback",
          channel: "sms",
          offerDepth: 0.1,
          sendHourLocal: 10,
          contacts: 50,
          budget: 5,
          expectedIncrementalMargin: 12,
          reasons: [],
          upliftSource: "prior",
        },
        {
          segmentId: "seg-2",
          name: "B",
          strategy: "suppress",
          channel: null,
          offerDepth: 0,
          sendHourLocal: 10,
          contacts: 0,
          budget: 0,
          expectedIncrementalMargin: 0,
          reasons: [],
          upliftSource: "prior",
        },
      ],
    },
    review: {
      checks: [
        { check: "fairness", subject: "plan", passed: false, reasons: ["offer ratio 0.62 across age_band"] },
        { check: "content_qa", subject: "v1", passed: true, reasons: [] },
      ],
      risk: { tier: "human", triggers: [{ code: "new_content_version", message: "copy v1 never approved" }] },
      approvalId: "ap-9",
      autoApproved: false,
      expiresAt: "2026-01-02T00:00:00.000Z",
    },
    ...overrides,
  });
}

describe("plan message blocks", () => {
  it("a waiting plan shows every segment's numbers, the flags, and Approve / Reject buttons carrying the plan", () => {
    const blocks = planBlocks(plan, { kind: "waiting" }) as unknown as AnyBlock[];
    const text = blockText(blocks);
    for (const s of [
      "winback",
      "email",
      "15% off",
      "1,234",
      "567.50",
      "890.25",
      "cross_sell",
      "push",
      "no discount",
      "Expected incremental margin",
    ])
      expect(text).toContain(s);
    expect(text).toContain("Lapsed &lt;grocery&gt; &amp; co");
    expect(text).toContain("fairness failed on seg-1: ratio 0.7");
    expect(text).toContain("<@UMKT>");
    const [actions] = actionsOf(blocks);
    expect(actions!.elements.map((e) => [e.action_id, e.style])).toEqual([
      [APPROVE_ACTION, "primary"],
      [REJECT_ACTION, "danger"],
    ]);
    for (const e of actions!.elements)
      expect(planRefSchema.parse(JSON.parse(e.value))).toEqual({ cycleId: plan.cycleId, approvalId: "ap-1" });
    expect(planTotals(plan)).toEqual({ contacts: 1334, budget: 577.5, expectedIncrementalMargin: 910.25 });
    expect(planText(plan, { kind: "waiting" })).toContain("1,334 contacts");
  });

  it("once decided, the buttons are gone and the outcome is said", () => {
    const cases = [
      [{ kind: "approved", by: "slack:UAPP", at: "2026-01-01T10:00:00Z" }, "Approved by <@UAPP>"],
      [{ kind: "sent", by: "slack:UAPP", sent: 40, suppressed: 2, failed: 0 }, "Sent 40, suppressed at send time 2"],
      [{ kind: "rejected", by: "slack:UAPP", reason: "too <deep>" }, "Rejected by <@UAPP>: too &lt;deep&gt;"],
      [{ kind: "expired", reason: "the approval request expired at X before anyone decided" }, "expired at X"],
      [{ kind: "measured", by: "bob", headline: "+1.2 pp conversion" }, "+1.2 pp conversion"],
    ] as const;
    for (const [outcome, expected] of cases) {
      const blocks = planBlocks(plan, outcome) as unknown as AnyBlock[];
      expect(actionsOf(blocks)).toHaveLength(0);
      expect(blockText(blocks)).toContain(expected);
    }
  });

  it("caps the segments it lists and says how many more there are; no flags says none", () => {
    const many: PendingPlan = {
      ...plan,
      flags: [],
      segments: Array.from({ length: 30 }, (_, i) => ({ ...plan.segments[1]!, segmentId: `seg-${i}` })),
    };
    const blocks = planBlocks(many, { kind: "waiting" }) as unknown as AnyBlock[];
    expect(blocks.length).toBeLessThanOrEqual(50);
    expect(blocks.filter((b) => b.type === "section" && Array.isArray(b.fields))).toHaveLength(MAX_SEGMENT_BLOCKS);
    expect(blockText(blocks)).toContain(`and ${30 - MAX_SEGMENT_BLOCKS} more segments`);
    expect(blockText(blocks)).toContain("*Guardrail flags*\\nnone");
  });

  it("the reject modal asks for a reason and carries the plan and message in its metadata", () => {
    const meta = { cycleId: "c-1", approvalId: "ap-1", channel: "C1", ts: "1.2" };
    const view = rejectModal(meta);
    expect(view.callback_id).toBe(REJECT_MODAL);
    expect(rejectModalMetadataSchema.parse(JSON.parse(view.private_metadata!))).toEqual(meta);
    const input = view.blocks.find((b) => b.type === "input") as unknown as {
      block_id: string;
      element: { action_id: string; type: string };
    };
    expect([input.block_id, input.element.action_id, input.element.type]).toEqual([REJECT_REASON, REJECT_REASON, "plain_text_input"]);
  });

  it("a lift readout shows the headline, its lines and a sample-ratio warning when flagged", () => {
    const m = {
      measuredAt: "2026-01-20T00:00:00Z",
      headline: "+2.0 pp",
      lines: ["seg-1 winback: +3 pp [1, 5]"],
      groups: [],
      srmFlagged: true,
    };
    const text = blockText(liftBlocks("c-1", m) as unknown as AnyBlock[]);
    expect(text).toContain("+2.0 pp");
    expect(text).toContain("seg-1 winback: +3 pp [1, 5]");
    expect(text).toContain("Sample-ratio mismatch");
    expect(blockText(liftBlocks("c-1", { ...m, srmFlagged: false }) as unknown as AnyBlock[])).not.toContain("Sample-ratio");
  });

  it("mentions Slack actors and escapes anything else", () => {
    expect(who("slack:U123ABC")).toBe("<@U123ABC>");
    expect(who("cli:<ann>")).toBe("cli:&lt;ann&gt;");
    expect(escapeMrkdwn("a & <b>")).toBe("a &amp; &lt;b&gt;");
  });
});

describe("the plan a cycle waits on", () => {
  it("lists the contacted segments with their numbers and the policy triggers and failed checks as flags", () => {
    const s = state();
    expect(pendingPlanOf(s, { kind: "approval", approvalId: "ap-9", expiresAt: "2026-01-02T00:00:00.000Z" })).toEqual({
      cycleId: "c-1",
      approvalId: "ap-9",
      requestedBy: "slack:UMKT",
      expiresAt: "2026-01-02T00:00:00.000Z",
      segments: [
        {
          segmentId: "seg-1",
          name: "A",
          strategy: "winback",
          channel: "sms",
          offer: 0.1,
          contacts: 50,
          budget: 5,
          expectedIncrementalMargin: 12,
        },
      ],
      flags: ["new_content_version: copy v1 never approved", "fairness failed on plan: offer ratio 0.62 across age_band"],
    });
    expect(pendingPlanOf(s, null)).toBeNull();
    expect(pendingPlanOf(s, { kind: "attribution_window", windowEndsAt: "x" })).toBeNull();
    expect(planOf(state({ review: undefined }))).toBeNull();
  });

  it("its outcome follows the approval, the messages and the measurement", () => {
    const at = "2026-01-01T10:00:00.000Z";
    expect(planOutcome(state(), [])).toEqual({ kind: "waiting" });
    expect(planOutcome(state({ approval: { decision: "rejected", by: "slack:UAPP", reason: "no", at } }), [])).toEqual({
      kind: "rejected",
      by: "slack:UAPP",
      reason: "no",
    });
    expect(planOutcome(state({ approval: { decision: "rejected", by: APPROVAL_EXPIRY_ACTOR, reason: "expired at T", at } }), []).kind).toBe(
      "expired",
    );
    const activation = { experimentId: "e", activatedAt: at, treated: 10, holdout: 3, globalControl: 1, shards: 1, measureAt: at };
    const approved = state({ approval: { decision: "approved", by: "slack:UAPP", at }, activation });
    expect(planOutcome(approved, []).kind).toBe("approved");
    expect(
      planOutcome(approved, [
        { status: "queued", n: 2 },
        { status: "sent", n: 8 },
      ]).kind,
    ).toBe("approved");
    // Not every treated customer's message exists yet (shards still running).
    expect(planOutcome(approved, [{ status: "sent", n: 6 }]).kind).toBe("approved");
    expect(
      planOutcome(approved, [
        { status: "sent", n: 9 },
        { status: "suppressed", n: 1 },
      ]),
    ).toEqual({ kind: "sent", by: "slack:UAPP", sent: 9, suppressed: 1, failed: 0 });
    const measured = { ...approved, measurement: { measuredAt: at, headline: "+1 pp", lines: [], groups: [], srmFlagged: false } };
    expect(planOutcome(measured, [{ status: "sent", n: 10 }])).toEqual({ kind: "measured", by: "slack:UAPP", headline: "+1 pp" });
  });
});

describe("request freshness", () => {
  const now = 1_800_000_000_000;
  const sec = now / 1000;
  it("accepts up to five minutes either way and refuses beyond, or a malformed header", () => {
    expect(checkTimestamp(String(sec), now).ok).toBe(true);
    expect(checkTimestamp(String(sec - MAX_CLOCK_SKEW_SECONDS), now).ok).toBe(true);
    expect(checkTimestamp(String(sec + MAX_CLOCK_SKEW_SECONDS), now).ok).toBe(true);
    expect(checkTimestamp(String(sec - MAX_CLOCK_SKEW_SECONDS - 1), now)).toMatchObject({ ok: false, status: 401 });
    expect(checkTimestamp(String(sec + MAX_CLOCK_SKEW_SECONDS + 1), now)).toMatchObject({ ok: false, status: 401 });
    for (const bad of [undefined, "", "12.5", "abc", ["1", "2"], "-5"]) expect(checkTimestamp(bad, now).ok).toBe(false);
  });
});

describe("Slack users and roles", () => {
  it("maps configured users to actors and nobody else", () => {
    const roles = parseConfig({ PULSE_SLACK_ROLES: "UAPP:approver, UMKT:marketer,UCOMP:compliance" }).PULSE_SLACK_ROLES;
    expect(slackActor("UAPP", roles)).toEqual({ id: "slack:UAPP", role: "approver" });
    expect(slackActor("UCOMP", roles)).toEqual({ id: "slack:UCOMP", role: "compliance" });
    expect(slackActor("UNOBODY", roles)).toBeNull();
    expect(slackActor("toString", roles)).toBeNull();
    expect(unknownUserText("UNOBODY")).toContain("UNOBODY");
  });

  it("refuses a malformed mapping, naming the variable", () => {
    expect(() => parseConfig({ PULSE_SLACK_ROLES: "UAPP:boss" })).toThrow(/PULSE_SLACK_ROLES/);
    expect(() => parseConfig({ PULSE_SLACK_ROLES: "UAPP" })).toThrow(/PULSE_SLACK_ROLES/);
    expect(parseConfig({}).PULSE_SLACK_ROLES).toEqual({});
  });
});
