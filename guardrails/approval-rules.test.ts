import { describe, expect, it } from "vitest";
import { ApprovalError, InvalidApprovalError, SelfApprovalError } from "./approval-errors.js";
import { APPROVAL_EXPIRY_ACTOR, checkDecision, expiredAnswer, isExpired, isExpiry, recordedAnswer } from "./approval-rules.js";

const request = { requestedBy: "ann", approvalId: "apr_1" };
const expiresAt = new Date("2026-03-02T09:00:00.000Z");

describe("approval rules (pure, no database)", () => {
  it("the requester cannot decide on their own plan, either way", () => {
    for (const decision of ["approved", "rejected"] as const) {
      const attempt = () => checkDecision(request, { decision, by: " ann ", reason: "looks fine" });
      expect(attempt).toThrow(SelfApprovalError);
      expect(attempt).toThrow("ann requested this plan and cannot approve or reject it (approval apr_1)");
    }
  });

  it("a rejection needs a reason; blank is none", () => {
    expect(() => checkDecision(request, { decision: "rejected", by: "bob" })).toThrow(/a rejection needs a reason/);
    expect(() => checkDecision(request, { decision: "rejected", by: "bob", reason: "   " })).toThrow(InvalidApprovalError);
    expect(checkDecision(request, { decision: "rejected", by: " bob ", reason: " too deep " })).toEqual({
      decision: "rejected",
      by: "bob",
      reason: "too deep",
    });
    expect(checkDecision(request, { decision: "approved", by: "bob" })).toEqual({ decision: "approved", by: "bob", reason: null });
  });

  it("a decision names a person: no empty decider, and policy:<version> only approves automatically", () => {
    expect(() => checkDecision(request, { decision: "approved", by: "  " })).toThrow(/must name who decides/);
    expect(() => checkDecision(request, { decision: "approved", by: "policy:v3" })).toThrow(/reserved for automatic approval/);
  });

  it("every refusal belongs to one error family; the requester's is also an InvalidApprovalError", () => {
    const err = (() => {
      try {
        checkDecision(request, { decision: "approved", by: "ann" });
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(InvalidApprovalError);
    expect(err).toBeInstanceOf(ApprovalError);
    expect(err).toMatchObject({ name: "SelfApprovalError", code: "APPROVAL_SELF_DECISION" });
  });

  it("a request has expired from its expiresAt on", () => {
    expect(isExpired(expiresAt, new Date(expiresAt.getTime() - 1))).toBe(false);
    expect(isExpired(expiresAt, expiresAt)).toBe(true);
  });

  it("an expired request is recorded as a rejection by the one expiry actor", () => {
    const answer = recordedAnswer({
      decision: "expired",
      decidedBy: null,
      reason: "expired before a decision",
      decidedAt: expiresAt,
      expiresAt,
    });
    expect(answer).toEqual(expiredAnswer(expiresAt));
    expect(answer).toMatchObject({
      decision: "rejected",
      by: APPROVAL_EXPIRY_ACTOR,
      reason: expect.stringContaining("2026-03-02T09:00:00.000Z"),
    });
    expect(isExpiry(answer!)).toBe(true);
  });

  it("a recorded decision is passed on with its time; an undecided request has no answer yet", () => {
    const decidedAt = new Date("2026-03-02T08:00:00.000Z");
    const answer = recordedAnswer({ decision: "approved", decidedBy: "bob", reason: null, decidedAt, expiresAt });
    expect(answer).toEqual({ decision: "approved", by: "bob", decidedAt: "2026-03-02T08:00:00.000Z" });
    expect(isExpiry(answer!)).toBe(false);
    expect(recordedAnswer({ decision: null, decidedBy: null, reason: null, decidedAt: null, expiresAt })).toBeNull();
  });
});
