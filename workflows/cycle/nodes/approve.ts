import { interrupt } from "@langchain/langgraph";
import { resumeAnswerSchema } from "../../../guardrails/approval-rules.js";
import type { CycleDeps } from "../deps.js";
import type { CycleState } from "../state.js";

/**
 * The human gate. It only interrupts and passes on the decision the cycle service resumes it with,
 * which is the one the approvals store recorded under guardrails/approval-rules.ts (or the expiry).
 * A resumed node re-runs from the top, so every side effect of the decision happens in the nodes after it.
 */
export function approveNode(state: CycleState, deps: CycleDeps): Partial<CycleState> {
  if (state.approval) return {};
  const raw = interrupt({
    kind: "approval",
    cycleId: state.cycleId,
    approvalId: state.review!.approvalId,
    requestedBy: state.requestedBy,
    risk: state.review!.risk,
    expiresAt: state.review!.expiresAt,
  });
  const { decidedAt, ...answer } = resumeAnswerSchema.parse(raw);
  return { approval: { ...answer, at: decidedAt ?? deps.clock.now().toISOString() } };
}
