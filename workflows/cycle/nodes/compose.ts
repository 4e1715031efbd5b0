import { composeCopy, type CopyIssue, type SegmentCopy } from "../../../agents/copywriter/index.js";
import { isSendingStrategy } from "../../../core/domain.js";
import type { NewAuditEntry } from "../../../guardrails/audit-entries.js";
import { saveCampaigns, setCycleStatus } from "../../../store/cycles-repo.js";
import { auditAgentDecision, auditToolCall } from "../audit-helpers.js";
import { briefSendFrom } from "../brief.js";
import { cycleLlm, type CycleDeps } from "../deps.js";
import type { Campaign, CycleState } from "../state.js";
import { campaignIdOf } from "./plan.js";

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

/**
 * Copy per segment × channel × strategy: LLM calls grow with segments and channels, never with
 * customers. The campaigns (with their variants) are also stored on the cycle row, where the
 * activation workers read them.
 */
export async function composeNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  const { cycleId, settings } = state;
  const calls = cycleLlm(deps, state);
  const llm = calls.client;
  const campaigns: Campaign[] = [];
  let source: "llm" | "offline" = llm ? "llm" : "offline";
  let fallbackReason: string | undefined;
  const category = settings.brief?.category;
  const sendFrom = briefSendFrom(settings.brief, new Date(state.asOf));
  const laterStart = sendFrom.getTime() > new Date(state.asOf).getTime() ? { sendFrom: sendFrom.toISOString() } : {};
  // One campaign per channel × offer depth the plan gave the segment's customers (older plans: the segment's one).
  const lines = state.plan!.segments.flatMap((p) =>
    (
      p.campaigns ??
      (p.channel
        ? [
            {
              campaignId: campaignIdOf(cycleId, p.segmentId, p.strategy, p.channel),
              channel: p.channel,
              offerDepth: p.offerDepth,
              contacts: p.contacts,
            },
          ]
        : [])
    ).map((c) => ({ ...p, ...c })),
  );
  for (const p of lines) {
    const { channel, strategy } = p;
    if (!channel || p.contacts === 0 || !isSendingStrategy(strategy)) continue;
    const seg = state.refresh!.segments.find((s) => s.segmentId === p.segmentId)!;
    const out = await composeCopy({
      segments: [{ segmentId: p.segmentId, name: p.name, size: seg.size, profileWords: [seg.description, ...seg.traits].slice(0, 6) }],
      channel,
      strategy,
      offer: { depth: p.offerDepth, maxDepth: settings.maxDiscount, ...(category ? { category } : {}) },
      variants: settings.variants,
      brand: settings.brand,
      ...(llm ? { llm } : {}),
      cache: deps.copyCache,
    });
    const segOut = out.segments[0];
    if (segOut?.llmError) fallbackReason = segOut.llmError;
    const usedLlm = out.variants.some((v) => v.source === "llm");
    if (llm && !usedLlm) source = "offline";
    const campaign: Campaign = {
      campaignId: p.campaignId,
      segmentId: p.segmentId,
      segmentName: p.name,
      strategy,
      channel,
      offerDepth: p.offerDepth,
      sendHourLocal: p.sendHourLocal,
      ...(category ? { category } : {}),
      ...laterStart,
      source: usedLlm ? "llm" : "offline",
      variants: out.variants.map((v) => ({
        variantId: v.variantId,
        fields: v.fields as Record<string, string>,
        ...(v.prompt ? { prompt: v.prompt } : {}),
      })),
    };
    campaigns.push(campaign);
    await auditAgentDecision(deps, cycleId, "copywriter", `copy of ${campaign.campaignId}`, {
      source: campaign.source,
      ...(segOut?.llmError
        ? { fallbackKind: segOut.llmFailure ?? "error", fallbackReason: segOut.llmError }
        : { fallbackKind: "invalid_answer", fallbackReason: "every model draft failed content QA; the library filled the slots" }),
      ...(campaign.variants[0]?.prompt ? { prompt: campaign.variants[0].prompt } : {}),
    });
    // Every model draft that failed content QA, and every slot the library had to fill, is a verdict of its own.
    if (segOut && (segOut.rejected.length > 0 || segOut.replaced.length > 0))
      await deps.audit.appendMany(copyQaVerdicts(deps.actor, cycleId, campaign.campaignId, segOut));
    await auditToolCall(
      deps,
      cycleId,
      "copywriter",
      { segmentId: p.segmentId, channel: p.channel, strategy: p.strategy, offerDepth: p.offerDepth, variants: settings.variants },
      campaign.variants.map((v) => v.variantId),
      `${campaign.variants.length} ${campaign.source} variants for ${p.name} by ${p.channel} (${segOut?.replaced.length ?? 0} replaced from the library after QA)`,
    );
  }
  await saveCampaigns(deps.db, cycleId, campaigns);
  const status = "composed";
  await setCycleStatus(deps.db, cycleId, status);
  return {
    status,
    agents: { ...state.agents, copywriter: { source, ...(fallbackReason ? { fallbackReason } : {}) } },
    copy: { campaigns },
    llm: calls.usage(),
  };
}
