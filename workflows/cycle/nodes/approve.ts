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

/**
 * What the graph resumes with: the answer, and when it was recorded when that was earlier (a
 * decision recorded by a process that died before the graph moved on is checked against its own
 * time, not the time of the retry). Only the cycle service builds it, from the approvals table.
 */
export const resumeAnswerSchema = approvalAnswerSchema.extend({ decidedAt: z.iso.datetime().optional() });
export type ResumeAnswer = z.infer<typeof resumeAnswerSchema>;

export class InvalidApprovalError extends PulseError {
  constructor(message: string) {
    super("APPROVAL_INVALID", message);
  }
}

/** Who decides and why: the requester cannot decide their own plan, and a rejection says why. */
export function checkDecider(state: Pick<CycleState, "requestedBy">, answer: ApprovalAnswer): ApprovalAnswer {
  if (answer.by === state.requestedBy) throw new InvalidApprovalError(`${answer.by} requested this plan and cannot approve or reject it`);
  if (answer.decision === "rejected" && !answer.reason?.trim()) throw new InvalidApprovalError("a rejection needs a reason");
  return answer;
}

/**
 * Pure checks of a decision against the cycle, at the time it was made: checkDecider, and an
 * approval must come before the request expires (a plan can always be turned down: nothing is sent).
 */
export function validateDecision(
  state: Pick<CycleState, "requestedBy" | "review">,
  answer: ApprovalAnswer,
  decidedAt: Date,
): ApprovalAnswer {
  checkDecider(state, answer);
  if (answer.decision === "approved" && state.review && decidedAt > new Date(state.review.expiresAt))
    throw new InvalidApprovalError(`the approval request expired at ${state.review.expiresAt}`);
  return answer;
}

/** Who closes a cycle whose approval request expired before anyone decided. */
export const APPROVAL_EXPIRY_ACTOR = "system:approval-expiry";

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
  const { decidedAt, ...answer } = resumeAnswerSchema.parse(raw);
  const at = decidedAt ? new Date(decidedAt) : deps.clock.now();
  validateDecision(state, answer, at);
  return { approval: { ...answer, at: at.toISOString() } };
}
