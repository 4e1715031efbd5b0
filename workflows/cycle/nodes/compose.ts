import pLimit from "p-limit";
import { composeCopy } from "../../../agents/copywriter/index.js";
import { DEFAULT_LLM_CONCURRENCY } from "../../../core/config.js";
import { saveCampaigns, setCycleStatus } from "../../../store/cycles-repo.js";
import { agentDecisionEntry } from "../audit-helpers.js";
import { cycleLlm, type CycleDeps } from "../deps.js";
import type { Campaign, CycleState } from "../state.js";
import { campaignOf, copyProvenance, copyQaVerdicts, copyRequests, copyToolCallEntry } from "../steps/compose.js";

/**
 * Copy per campaign line of the plan: LLM calls grow with segments, channels and offer depths, never
 * with customers, and go out at most `llmConcurrency` at once (a slow model costs the slowest call per
 * batch, not the sum). The campaigns and their audit entries keep the plan's order. The campaigns
 * (with their variants) are stored on the cycle, where the activation workers read them.
 */
export async function composeNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  const { cycleId } = state;
  const calls = cycleLlm(deps, state);
  const llm = calls.client;
  const requests = copyRequests(state);
  const limit = pLimit(deps.llmConcurrency ?? DEFAULT_LLM_CONCURRENCY);
  const outs = await Promise.all(
    requests.map(({ input }) => limit(() => composeCopy({ ...input, ...(llm ? { llm } : {}), cache: deps.copyCache }))),
  );
  const campaigns: Campaign[] = [];
  let source: "llm" | "offline" = llm ? "llm" : "offline";
  let fallbackReason: string | undefined;
  for (const [k, { planned, input }] of requests.entries()) {
    const out = outs[k]!;
    const segOut = out.segments[0];
    if (segOut?.llmError) fallbackReason = segOut.llmError;
    const campaign = campaignOf(state, planned, out);
    if (llm && campaign.source !== "llm") source = "offline";
    campaigns.push(campaign);
    // Which twin wrote it (when a model was configured), every model draft that failed content QA
    // and every slot the library had to fill, then the copywriter's call.
    await deps.audit.appendMany([
      ...(deps.makeLlm
        ? [agentDecisionEntry(deps.actor, cycleId, "copywriter", `copy of ${campaign.campaignId}`, copyProvenance(campaign, segOut))]
        : []),
      ...(segOut ? copyQaVerdicts(deps.actor, cycleId, campaign.campaignId, segOut) : []),
      copyToolCallEntry(deps.actor, cycleId, planned, input.variants, campaign, segOut?.replaced.length ?? 0),
    ]);
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
