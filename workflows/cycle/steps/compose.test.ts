import { describe, expect, it } from "vitest";
import { composeCopy } from "../../../agents/copywriter/index.js";
import { prepareAuditEntry } from "../../../guardrails/audit.js";
import { campaignIdOf } from "../ids.js";
import { cycleSettingsSchema } from "../settings.js";
import type { CycleState } from "../state.js";
import { campaignOf, copyProvenance, copyQaVerdicts, copyRequests, copyToolCallEntry } from "./compose.js";

const line = (over: Partial<NonNullable<CycleState["plan"]>["segments"][number]>) => ({
  segmentId: "s1",
  name: "Lapsed regulars",
  strategy: "winback" as const,
  channel: "email" as const,
  offerDepth: 0.1,
  sendHourLocal: 10,
  contacts: 40,
  budget: 0,
  expectedIncrementalMargin: 0,
  reasons: [],
  upliftSource: "prior",
  ...over,
});
const segment = (segmentId: string) => ({
  segmentId,
  name: `segment ${segmentId}`,
  size: 100,
  share: 0.1,
  valueShare: null,
  description: "buys often",
  traits: ["loyal", "grocery"],
});
const stateWith = (brief?: object) =>
  ({
    cycleId: "c1",
    asOf: "2026-03-02T00:00:00.000Z",
    settings: cycleSettingsSchema.parse(brief ? { brief } : {}),
    refresh: { segments: [segment("s1"), segment("s2"), segment("s3"), segment("s4")] },
    plan: {
      segments: [
        line({}),
        line({ segmentId: "s2", channel: null }),
        line({ segmentId: "s3", contacts: 0 }),
        line({ segmentId: "s4", strategy: "cooldown" as never }),
      ],
    },
  }) as unknown as CycleState;

describe("copyRequests", () => {
  it("asks for copy only for lines that send: a channel, contacts and a sending strategy", () => {
    const rs = copyRequests(stateWith());
    expect(rs.map((r) => r.planned.segmentId)).toEqual(["s1"]);
    expect(rs[0]!.input).toMatchObject({
      channel: "email",
      strategy: "winback",
      offer: { depth: 0.1, maxDepth: 0.2 },
      variants: 3,
      segments: [{ segmentId: "s1", name: "Lapsed regulars", size: 100, profileWords: ["buys often", "loyal", "grocery"] }],
    });
  });
});

describe("campaignOf", () => {
  it("builds the campaign the activation reads from the plan's line and the copywriter's variants", async () => {
    const state = stateWith();
    const [r] = copyRequests(state);
    const out = await composeCopy(r!.input);
    const c = campaignOf(state, r!.planned, out);
    expect(c).toMatchObject({
      campaignId: campaignIdOf("c1", "s1", "winback", "email"),
      segmentName: "Lapsed regulars",
      channel: "email",
      offerDepth: 0.1,
      sendHourLocal: 10,
      source: "offline",
    });
    expect(c.variants.map((v) => v.variantId)).toEqual(out.variants.map((v) => v.variantId));
    expect(c.category).toBeUndefined();
    expect(c.sendFrom).toBeUndefined();
  });

  it("carries the brief's category and a window start later than the as-of", async () => {
    const state = stateWith({ category: "garden", window: { start: "2026-03-05" } });
    const [r] = copyRequests(state);
    const c = campaignOf(state, r!.planned, await composeCopy(r!.input));
    expect(c.category).toBe("garden");
    expect(c.sendFrom).toBe("2026-03-05T00:00:00.000Z");
  });
});

describe("compose's audit entries", () => {
  it("provenance, QA verdicts and the tool call, all accepted by the audit schemas", async () => {
    const state = stateWith();
    const [r] = copyRequests(state);
    const out = await composeCopy(r!.input);
    const c = campaignOf(state, r!.planned, out);
    const verdicts = copyQaVerdicts("pulse", "c1", c.campaignId, {
      rejected: [{ attempt: 0, slot: 1, fields: {}, issues: [{ field: "subject", message: "too long" } as never] }],
      replaced: [{ slot: 1, replacementId: "winback.email.2", reasons: [] }],
    });
    const now = new Date();
    const entries = [...verdicts, copyToolCallEntry("pulse", "c1", r!.planned, 3, c, 1)].map((e) => prepareAuditEntry(e, now));
    expect(entries.map((e) => (e.entry as { check?: string; tool?: string }).check ?? (e.entry as { tool: string }).tool)).toEqual([
      "content_qa",
      "copy_replacement",
      "copywriter",
    ]);
    expect((entries[0]!.entry as { reasons: string[] }).reasons).toEqual(["subject: too long"]);
    expect((entries[2]!.entry as { summary: string }).summary).toBe(
      `${c.variants.length} offline variants for Lapsed regulars by email (1 replaced from the library after QA)`,
    );
    expect(copyProvenance(c, { ...out.segments[0]!, llmError: "timeout", llmFailure: "timeout" })).toMatchObject({
      source: "offline",
      fallbackKind: "timeout",
      fallbackReason: "timeout",
    });
  });
});
