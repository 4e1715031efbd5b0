import type { PendingPlan } from "./contract.js";
import type { CycleWait } from "../../workflows/cycle/service.js";
import type { CycleState } from "../../workflows/cycle/state.js";

/**
 * The plan a cycle waits on, as the chat contract carries it (the chat agent's replies and Slack's plan messages): the segments that would be contacted
 * and the guardrail flags that made it wait for a person. Null when the cycle waits for nothing
 * of the kind. Pure.
 */
export function pendingPlanOf(state: CycleState, waiting: CycleWait): PendingPlan | null {
  if (waiting?.kind !== "approval") return null;
  return planOf(state);
}

/** A reviewed cycle's plan in the same shape, whatever became of it since (for the message's later versions). Pure. */
export function planOf(state: CycleState): PendingPlan | null {
  if (!state.review) return null;
  return {
    cycleId: state.cycleId,
    approvalId: state.review.approvalId,
    requestedBy: state.requestedBy,
    expiresAt: state.review.expiresAt,
    segments: (state.plan?.segments ?? [])
      .filter((s) => s.channel !== null && s.contacts > 0)
      .map((s) => ({
        segmentId: s.segmentId,
        name: s.name,
        strategy: s.strategy,
        channel: s.channel!,
        offer: s.offerDepth,
        contacts: s.contacts,
        budget: s.budget,
        expectedIncrementalMargin: s.expectedIncrementalMargin,
      })),
    flags: guardrailFlags(state.review),
  };
}

/** Why a plan needs a person: the approval policy's triggers, then every check that did not pass. */
export function guardrailFlags(review: NonNullable<CycleState["review"]>): string[] {
  return [
    ...review.risk.triggers.map((t) => `${t.code}: ${t.message}`),
    ...review.checks.filter((c) => !c.passed).map((c) => `${c.check} failed on ${c.subject}${c.reasons[0] ? `: ${c.reasons[0]}` : ""}`),
  ];
}
