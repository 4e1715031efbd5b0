import { interrupt } from "@langchain/langgraph";
import { z } from "zod";
import { PulseError } from "../../../core/errors.js";
import type { CycleDeps } from "../deps.js";
import type { CycleState } from "../state.js";

export const approvalAnswerSchema = z.object({
  decision: z.enum(["approved", "rejected"]),
  by: z.string().min(1),
  reason: z.string().max(2000).optional(),
});
export type ApprovalAnswer = z.infer<typeof approvalAnswerSchema>;

export class InvalidApprovalError extends PulseError {
  constructor(message: string) {
    super("APPROVAL_INVALID", message);
  }
}

/** Pure checks of a human decision against the cycle (also run by the CLI before resuming). */
export function validateDecision(state: Pick<CycleState, "requestedBy" | "review">, answer: ApprovalAnswer, now: Date): ApprovalAnswer {
  if (answer.by === state.requestedBy) throw new InvalidApprovalError(`${answer.by} requested this plan and cannot approve or reject it`);
  if (answer.decision === "rejected" && !answer.reason?.trim()) throw new InvalidApprovalError("a rejection needs a reason");
  if (state.review && now > new Date(state.review.expiresAt)) throw new InvalidApprovalError(`the approval request expired at ${state.review.expiresAt}`);
  return answer;
}

/**
 * The human gate. It does nothing but interrupt() and validate the answer: a resumed node re-runs
 * from the top, so every side effect of the decision happens in the nodes after it.
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
  const answer = validateDecision(state, approvalAnswerSchema.parse(raw), deps.clock.now());
  return { approval: { ...answer, at: deps.clock.now().toISOString() } };
}
