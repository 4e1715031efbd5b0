import { z } from "zod";
import { renderMessages } from "../../prompts/registry.js";
import type { Channel, Strategy } from "../../core/domain.js";
import type { ArchetypeName } from "../../tools/segment-naming.js";
import type { LlmClient } from "../llm/types.js";
import { runAgent, type AgentProvenance } from "../run-agent.js";

/**
 * The strategist chooses, per segment, one of the options the tools computed (strategy, channel,
 * offer depth, with expected contacts, incremental margin and cost), or none. It never makes up
 * numbers: an LLM answer naming anything but a listed option is refused and the offline policy runs.
 */
export interface StrategyOption {
  optionId: string;
  strategy: Strategy;
  channel: Channel;
  offerDepth: number;
  contacts: number;
  expectedIncrementalMargin: number;
  expectedCost: number;
  /**
   * The option's uplift comes from this segment's own randomized readouts (its holdouts for this
   * strategy, channel and offer), not from the prior or pooled evidence of other segments.
   */
  measured?: boolean;
}

export interface SegmentSituation {
  segmentId: string;
  name: string;
  /** The archetype the naming tool matched (tools/segment-naming.ts); null or absent for a descriptive name. */
  archetype?: ArchetypeName | null;
  size: number;
  /** Share of the segment the fatigue tool puts on cool-down. */
  cooldownShare: number;
  /** Mean engagement over channels, in [0, 1]. */
  meanEngagement: number;
  dominantDaypart: "night" | "morning" | "afternoon" | "evening";
  options: StrategyOption[];
}

export interface SegmentPlan {
  segmentId: string;
  name: string;
  strategy: Strategy;
  optionId: string | null;
  channel: Channel | null;
  offerDepth: number;
  sendHourLocal: number;
  contacts: number;
  budget: number;
  expectedIncrementalMargin: number;
  reasons: string[];
}

export const SEND_HOUR: Record<SegmentSituation["dominantDaypart"], number> = { night: 10, morning: 10, afternoon: 14, evening: 19 };
const net = (o: StrategyOption) => o.expectedIncrementalMargin - o.expectedCost;

/** The strategy a segment's profile calls for before looking at the numbers (DOMAIN.md archetypes). */
export function preferredStrategy(
  s: SegmentSituation,
  thresholds = { cooldownShare: 0.5, engagement: 0.2 },
): { strategy: Strategy; reason: string } {
  if (s.cooldownShare > thresholds.cooldownShare) {
    return { strategy: "cooldown", reason: `${(100 * s.cooldownShare).toFixed(0)}% of the segment is above the fatigue threshold (0.7)` };
  }
  const a = s.archetype ?? null;
  if (a === "Dormant Loyalists" || a === "Hibernating" || a === "Churn-Prone Spenders")
    return { strategy: "winback", reason: `${s.name}: lapsing customers, win them back` };
  if (s.meanEngagement < thresholds.engagement) {
    return { strategy: "reengage", reason: `mean engagement ${s.meanEngagement.toFixed(2)} is below ${thresholds.engagement}` };
  }
  if (a === "Premium Loyalists" || a === "Champions")
    return { strategy: "cross_sell", reason: `${s.name} buy anyway: broaden their basket, no discount needed` };
  if (a === "Coupon-Driven Floaters") return { strategy: "targeted_promo", reason: `${s.name} respond to offers` };
  if (a === "New Customers") return { strategy: "cross_sell", reason: `${s.name}: introduce more of the range` };
  return { strategy: "targeted_promo", reason: "engaged and not fatigued: the default targeted promotion" };
}

function toPlan(s: SegmentSituation, option: StrategyOption | undefined, strategy: Strategy, reasons: string[]): SegmentPlan {
  return {
    segmentId: s.segmentId,
    name: s.name,
    strategy: option?.strategy ?? strategy,
    optionId: option?.optionId ?? null,
    channel: option?.channel ?? null,
    offerDepth: option?.offerDepth ?? 0,
    sendHourLocal: SEND_HOUR[s.dominantDaypart],
    contacts: option?.contacts ?? 0,
    budget: Math.round((option?.expectedCost ?? 0) * 100) / 100,
    expectedIncrementalMargin: option?.expectedIncrementalMargin ?? 0,
    reasons,
  };
}

/**
 * The offline policy: the preferred strategy's best paying option, else the best paying option, else
 * none; but an option this segment's own holdouts measured (another strategy it was given before)
 * that pays more than the preferred one wins: evidence over the profile's label, so a segment whose
 * name drifts keeps what its readouts show works.
 */
export function planSegmentOffline(s: SegmentSituation): SegmentPlan {
  const pref = preferredStrategy(s);
  if (pref.strategy === "cooldown" || pref.strategy === "suppress") return toPlan(s, undefined, pref.strategy, [pref.reason]);
  const paying = s.options
    .filter((o) => o.contacts > 0 && net(o) > 0)
    .sort((a, b) => net(b) - net(a) || a.optionId.localeCompare(b.optionId));
  const preferred = paying.find((o) => o.strategy === pref.strategy);
  const measured = paying.find((o) => o.measured && o.strategy !== pref.strategy);
  if (measured && (!preferred || net(measured) > net(preferred))) {
    return toPlan(s, measured, measured.strategy, [
      pref.reason,
      `but this segment's own holdouts measured ${measured.strategy} on ${measured.channel} at ${(100 * measured.offerDepth).toFixed(0)}% off: expected net margin ${net(measured).toFixed(2)}${preferred ? ` against ${net(preferred).toFixed(2)} for ${pref.strategy}` : `, and no ${pref.strategy} option pays`}`,
    ]);
  }
  if (preferred) {
    return toPlan(s, preferred, pref.strategy, [
      pref.reason,
      `best option for ${pref.strategy}: ${preferred.channel} at ${(100 * preferred.offerDepth).toFixed(0)}% off, expected net margin ${net(preferred).toFixed(2)}`,
    ]);
  }
  if (paying[0]) {
    return toPlan(s, paying[0], pref.strategy, [
      pref.reason,
      `no ${pref.strategy} option pays; ${paying[0].strategy} on ${paying[0].channel} does (net ${net(paying[0]).toFixed(2)})`,
    ]);
  }
  return toPlan(s, undefined, "suppress", [
    pref.reason,
    "no option's predicted uplift pays for its messages and discounts: no contact this cycle",
  ]);
}

const answerSchema = z.object({
  choices: z.array(z.object({ segmentId: z.string(), optionId: z.string().nullable(), rationale: z.string().max(400) })),
});

export async function planSegments(
  situations: readonly SegmentSituation[],
  deps: { llm?: LlmClient; maxDiscount: number },
): Promise<{ plans: SegmentPlan[]; provenance: AgentProvenance }> {
  const offline = () => situations.map(planSegmentOffline);
  const { output, provenance } = await runAgent({
    agent: "strategist",
    llm: deps.llm,
    prompt: () =>
      renderMessages("strategist", {
        maxDiscountPercent: Math.round(deps.maxDiscount * 100),
        segments: situations.map((s) => ({
          ...s,
          preferred: preferredStrategy(s),
          options: s.options.map((o) => ({
            ...o,
            offerPercent: Math.round(o.offerDepth * 100),
            net: net(o).toFixed(2),
            margin: o.expectedIncrementalMargin.toFixed(2),
            cost: o.expectedCost.toFixed(2),
          })),
        })),
      }),
    schema: answerSchema,
    accept: (answer) =>
      situations.map((s) => {
        const choice = answer.choices.find((c) => c.segmentId === s.segmentId);
        if (!choice) throw new Error(`no choice for segment ${s.segmentId}`);
        if (choice.optionId === null) return toPlan(s, undefined, "suppress", [choice.rationale]);
        const option = s.options.find((o) => o.optionId === choice.optionId);
        if (!option) throw new Error(`segment ${s.segmentId}: option ${choice.optionId} was not offered`);
        if (option.offerDepth > deps.maxDiscount) throw new Error(`segment ${s.segmentId}: offer above the cap`);
        return toPlan(s, option, option.strategy, [choice.rationale]);
      }),
    offline,
  });
  return { plans: output, provenance };
}
