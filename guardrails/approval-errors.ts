import { NotFoundError, PulseError } from "../core/errors.js";

/** The person deciding is the one who requested: nobody approves (or rejects) their own plan. */
export class SelfApprovalError extends PulseError {
  constructor(approvalId: string, who: string) {
    super("APPROVAL_SELF_DECISION", `${who} requested approval ${approvalId} and may not decide on it; another person must`);
  }
}

/** The approval was decided already (approved, rejected or expired); a decision is final. */
export class ApprovalAlreadyDecidedError extends PulseError {
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
export class ApprovalExpiredError extends PulseError {
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
export class ApprovalRequestError extends PulseError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super("APPROVAL_REQUEST_INVALID", message, options);
  }
}
