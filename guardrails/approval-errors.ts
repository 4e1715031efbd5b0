import { NotFoundError, PulseError } from "../core/errors.js";

/**
 * The approval error family. Every refusal of a request or a decision is an ApprovalError (or, for
 * an unknown approval, an ApprovalNotFoundError, which stays a NotFoundError for the interfaces):
 *   InvalidApprovalError          a decision breaks a rule (guardrails/approval-rules.ts)
 *     SelfApprovalError           ... the rule that the requester cannot decide
 *   ApprovalAlreadyDecidedError   a decision is final
 *   ApprovalExpiredError          the request ran out before anyone decided
 *   ApprovalRequestError          a malformed request for approval
 */
export class ApprovalError extends PulseError {}

/** A decision breaks one of the approval rules (a rejection without a reason, an approval too late, no decider). */
export class InvalidApprovalError extends ApprovalError {
  constructor(message: string, code = "APPROVAL_INVALID") {
    super(code, message);
  }
}

/** The person deciding is the one who requested: nobody approves (or rejects) their own plan. */
export class SelfApprovalError extends InvalidApprovalError {
  constructor(who: string, approvalId?: string) {
    super(
      `${who} requested this plan and cannot approve or reject it${approvalId ? ` (approval ${approvalId})` : ""}; another person must`,
      "APPROVAL_SELF_DECISION",
    );
  }
}

/** The approval was decided already (approved, rejected or expired); a decision is final. */
export class ApprovalAlreadyDecidedError extends ApprovalError {
  readonly decision: string;
  constructor(approvalId: string, decision: string, by: string | null, at: Date | null) {
    super(
      "APPROVAL_ALREADY_DECIDED",
      `approval ${approvalId} was already ${decision}${by ? ` by ${by}` : ""}${at ? ` at ${at.toISOString()}` : ""}; a decision is final`,
    );
    this.decision = decision;
  }
}

/** The approval's time ran out before anyone decided; it is now marked expired. Request a new one. */
export class ApprovalExpiredError extends ApprovalError {
  constructor(approvalId: string, expiredAt: Date) {
    super(
      "APPROVAL_EXPIRED",
      `approval ${approvalId} expired at ${expiredAt.toISOString()} and can no longer be decided; request a new approval`,
    );
  }
}

export class ApprovalNotFoundError extends NotFoundError {
  constructor(what: string) {
    super(what);
  }
}

/** A request for approval is malformed (empty requester, non-positive TTL, unknown cycle). */
export class ApprovalRequestError extends ApprovalError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("APPROVAL_REQUEST_INVALID", message, options);
  }
}
