import type { AgentProvenance } from "../../../agents/run-agent.js";
import type { ComposeCopyInput, ComposeCopyResult, CopyIssue, SegmentCopy } from "../../../agents/copywriter/index.js";
import { isSendingStrategy, type Campaign, type Channel, type SendingStrategy } from "../../../core/domain.js";
import type { NewAuditEntry } from "../../../guardrails/audit-entries.js";
import { toolCallEntry } from "../audit-helpers.js";
import { briefSendFrom, briefSendUntil } from "../brief.js";
import { campaignIdOf } from "../ids.js";
import type { CycleState } from "../state.js";

/**
 * The pure steps of the compose node: which campaigns need copy and what the copywriter is asked,
 * the campaign built from its answer, and the audit entries. nodes/compose.ts calls the copywriter
 * (the one part that may reach an LLM) and saves around them.
 */

type PlannedSegment = NonNullable<CycleState["plan"]>["segments"][number];

/** One campaign to write copy for: the plan's line, and the copywriter's input without the LLM and cache. */
export interface CopyRequest {
  planned: PlannedSegment & { campaignId: string; channel: Channel; strategy: SendingStrategy };
  input: Omit<ComposeCopyInput, "llm" | "cache" | "onCall">;
}

/**
 * The plan's campaign lines: one per channel × offer depth the plan gave a segment's customers
 * (plans from before per-customer channels and offers: the segment's one line).
 */
export function campaignLines(state: Pick<CycleState, "cycleId" | "plan">) {
  return state.plan!.segments.flatMap((p) =>
    (
      p.campaigns ??
      (p.channel
        ? [
            {
              campaignId: campaignIdOf(state.cycleId, p.segmentId, p.strategy, p.channel),
              channel: p.channel,
              offerDepth: p.offerDepth,
              contacts: p.contacts,
            },
          ]
        : [])
    ).map((c) => ({ ...p, ...c })),
  );
}

/** Copy per campaign line the plan sends to (never per customer). */
export function copyRequests(state: Pick<CycleState, "cycleId" | "plan" | "refresh" | "settings">): CopyRequest[] {
  const { settings } = state;
  const category = settings.brief?.category;
  const requests: CopyRequest[] = [];
  for (const p of campaignLines(state)) {
    const { channel, strategy } = p;
    if (!channel || p.contacts === 0 || !isSendingStrategy(strategy)) continue;
    const seg = state.refresh!.segments.find((s) => s.segmentId === p.segmentId)!;
    requests.push({
      planned: { ...p, channel, strategy },
      input: {
        segments: [{ segmentId: p.segmentId, name: p.name, size: seg.size, profileWords: [seg.description, ...seg.traits].slice(0, 6) }],
        channel,
        strategy,
        offer: { depth: p.offerDepth, maxDepth: settings.maxDiscount, ...(category ? { category } : {}) },
        variants: settings.variants,
        brand: settings.brand,
      },
    });
  }
  return requests;
}

/** The campaign the activation workers read: the plan's line with the copywriter's variants. */
export function campaignOf(
  state: Pick<CycleState, "cycleId" | "asOf" | "settings">,
  planned: CopyRequest["planned"],
  out: Pick<ComposeCopyResult, "variants">,
): Campaign {
  const category = state.settings.brief?.category;
  const asOf = new Date(state.asOf);
  const sendFrom = briefSendFrom(state.settings.brief, asOf);
  const sendUntil = briefSendUntil(state.settings.brief);
  return {
    campaignId: planned.campaignId,
    segmentId: planned.segmentId,
    segmentName: planned.name,
    strategy: planned.strategy,
    channel: planned.channel,
    offerDepth: planned.offerDepth,
    sendHourLocal: planned.sendHourLocal,
    ...(category ? { category } : {}),
    ...(sendFrom.getTime() > asOf.getTime() ? { sendFrom: sendFrom.toISOString() } : {}),
    ...(sendUntil ? { sendUntil: sendUntil.toISOString() } : {}),
    source: out.variants.some((v) => v.source === "llm") ? "llm" : "offline",
    variants: out.variants.map((v) => ({
      variantId: v.variantId,
      fields: v.fields as Record<string, string>,
      ...(v.prompt ? { prompt: v.prompt } : {}),
    })),
  };
}

/** Which twin wrote a campaign's copy, and why the library did when a model was asked. */
export function copyProvenance(campaign: Campaign, segOut: SegmentCopy | undefined): AgentProvenance {
  return {
    source: campaign.source,
    ...(segOut?.llmError
      ? { fallbackKind: segOut.llmFailure ?? "error", fallbackReason: segOut.llmError }
      : { fallbackKind: "invalid_answer", fallbackReason: "every model draft failed content QA; the library filled the slots" }),
    ...(campaign.variants[0]?.prompt ? { prompt: campaign.variants[0].prompt } : {}),
  };
}

/** Audit entries for the model drafts content QA turned down, and for the library variants that took their place. */
export function copyQaVerdicts(
  actor: string,
  cycleId: string,
  campaignId: string,
  copy: Pick<SegmentCopy, "rejected" | "replaced">,
): NewAuditEntry[] {
  const reasons = (issues: readonly CopyIssue[]) => issues.slice(0, 50).map((i) => `${i.field ? `${i.field}: ` : ""}${i.message}`);
  return [
    ...copy.rejected.map((r) => ({
      kind: "guardrail_verdict" as const,
      actor,
      cycleId,
      entry: {
        check: "content_qa",
        subject: `${campaignId} model draft ${r.slot + 1}, try ${r.attempt + 1}`,
        passed: false,
        reasons: reasons(r.issues),
        details: { stage: "compose", slot: r.slot, attempt: r.attempt },
      },
    })),
    ...copy.replaced.map((r) => ({
      kind: "guardrail_verdict" as const,
      actor,
      cycleId,
      entry: {
        check: "copy_replacement",
        subject: `${campaignId} slot ${r.slot + 1}`,
        passed: r.replacementId !== null,
        reasons: [
          r.replacementId
            ? `the model's copy failed content QA on every try; library variant ${r.replacementId} takes the slot`
            : "the model's copy failed content QA on every try and no library variant was left",
          ...reasons(r.reasons),
        ],
        details: { stage: "compose", slot: r.slot, replacementId: r.replacementId },
      },
    })),
  ];
}

/** The copywriter's tool call entry for one campaign. */
export function copyToolCallEntry(
  actor: string,
  cycleId: string,
  planned: CopyRequest["planned"],
  variants: number,
  campaign: Campaign,
  replaced: number,
): NewAuditEntry {
  return toolCallEntry(
    actor,
    cycleId,
    "copywriter",
    { segmentId: planned.segmentId, channel: planned.channel, strategy: planned.strategy, offerDepth: planned.offerDepth, variants },
    campaign.variants.map((v) => v.variantId),
    `${campaign.variants.length} ${campaign.source} variants for ${planned.name} by ${planned.channel} (${replaced} replaced from the library after QA)`,
  );
}
