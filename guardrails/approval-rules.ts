import { z } from "zod";
import type { ApprovalRow } from "../store/approvals-repo.js";
import { InvalidApprovalError, SelfApprovalError } from "./approval-errors.js";

/**
 * The approval rules, in one place (pure). The cycle service checks a decision with them before it
 * is recorded, the approvals store when it records it (in its transaction), and the graph's approve
 * node only passes on what was recorded:
 *   - a decision names its decider, who is a person ("policy:<version>" only approves automatically);
 *   - the requester cannot decide on their own plan (SelfApprovalError);
 *   - a rejection needs a reason;
 *   - a request expires at its expiresAt: from then on it can no longer be decided, and its cycle is
 *     closed as rejected by APPROVAL_EXPIRY_ACTOR (a plan that nobody approved sends nothing).
 */

/** Who records an expiry, and who closes a cycle whose approval request expired before anyone decided. */
export const APPROVAL_EXPIRY_ACTOR = "system:approval-expiry";

export const approvalAnswerSchema = z.object({
  decision: z.enum(["approved", "rejected"]),
  by: z.string().min(1),
  reason: z.string().max(2000).optional(),
});
export type ApprovalAnswer = z.infer<typeof approvalAnswerSchema>;

/**
 * What the graph resumes with: the answer, and when it was recorded when that was earlier (a
 * decision recorded by a process that died before the graph moved on keeps its own time, not the
 * time of the retry). Only the cycle service builds it, from the approvals table (recordedAnswer).
 */
export const resumeAnswerSchema = approvalAnswerSchema.extend({ decidedAt: z.iso.datetime().optional() });
export type ResumeAnswer = z.infer<typeof resumeAnswerSchema>;

/** A decision as the rules accept it: decider trimmed, reason trimmed (null when there is none). */
export interface CheckedDecision {
  decision: "approved" | "rejected";
  by: string;
  reason: string | null;
}

/**
 * Checks who decides and why, against the request's requester. Throws InvalidApprovalError (or its
 * SelfApprovalError) for a decision that breaks a rule.
 */
export function checkDecision(
  request: { requestedBy: string; approvalId?: string },
  answer: { decision: "approved" | "rejected"; by: string; reason?: string | null | undefined },
): CheckedDecision {
  const by = answer.by.trim();
  if (by.length === 0) throw new InvalidApprovalError("a decision must name who decides");
  if (by.startsWith("policy:")) throw new InvalidApprovalError(`"${by}" is reserved for automatic approval`);
  if (by === request.requestedBy.trim()) throw new SelfApprovalError(by, request.approvalId);
  const reason = answer.reason?.trim() || null;
  if (answer.decision === "rejected" && reason === null) throw new InvalidApprovalError("a rejection needs a reason");
  return { decision: answer.decision, by, reason };
}

/** Whether a request that expires at `expiresAt` has expired at `at` (it has from expiresAt on). */
export function isExpired(expiresAt: Date, at: Date): boolean {
  return at.getTime() >= expiresAt.getTime();
}

/** The answer the graph takes for a request that expired undecided: the plan is turned down, by the expiry actor. */
export function expiredAnswer(expiresAt: Date): ResumeAnswer {
  return {
    decision: "rejected",
    by: APPROVAL_EXPIRY_ACTOR,
    reason: `the approval request expired at ${expiresAt.toISOString()} before anyone decided`,
  };
}

/** The outcome an approvals row records, as the graph takes it; null while it is undecided. */
export function recordedAnswer(
  row: Pick<ApprovalRow, "decision" | "decidedBy" | "reason" | "decidedAt" | "expiresAt">,
): ResumeAnswer | null {
  if (row.decision === "expired") return expiredAnswer(row.expiresAt);
  if ((row.decision !== "approved" && row.decision !== "rejected") || !row.decidedBy) return null;
  return {
    decision: row.decision,
    by: row.decidedBy,
    ...(row.reason ? { reason: row.reason } : {}),
    ...(row.decidedAt ? { decidedAt: row.decidedAt.toISOString() } : {}),
  };
}

/** Whether a recorded answer is an expiry rather than a person's decision. */
export function isExpiry(answer: Pick<ResumeAnswer, "by">): boolean {
  return answer.by === APPROVAL_EXPIRY_ACTOR;
}
