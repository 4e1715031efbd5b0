import { randomUUID } from "node:crypto";
import type pg from "pg";
import { systemClock, type Clock } from "../core/clock.js";
import type { Db } from "../store/db.js";
import {
  expireOverdueApprovals,
  getApproval,
  insertApproval,
  lockApproval,
  lockCycleApproval,
  recordDecision,
  type ApprovalRow,
} from "../store/approvals-repo.js";
import type { AuditLog } from "./audit.js";
import type { ApprovalEntry, NewAuditEntry } from "./audit-entries.js";
import { ApprovalAlreadyDecidedError, ApprovalExpiredError, ApprovalNotFoundError, ApprovalRequestError } from "./approval-errors.js";
import { APPROVAL_EXPIRY_ACTOR, checkDecision, isExpired } from "./approval-rules.js";
import { approvalPolicySchema, policyActor, riskAssessmentSchema, type ApprovalPolicyInput, type RiskAssessment } from "./approval.js";

/**
 * Requests and decisions on a cycle's plan. Each change to an approval and its audit entry commit in
 * one transaction. The rules are guardrails/approval-rules.ts's (the table has a CHECK against
 * self-approval too); deciding after expires_at marks the request expired (by APPROVAL_EXPIRY_ACTOR)
 * and fails; a decision is final. A plan whose risk tier is "auto" is approved at request time by
 * the policy, recorded as decided by "policy:<version>".
 */

export type ApprovalRef = { approvalId: string } | { cycleId: string };

export interface DecisionInput {
  decision: "approved" | "rejected";
  by: string;
  /** Required when rejecting. */
  reason?: string;
}

export interface Approvals {
  requestApproval(cycleId: string, requestedBy: string, risk: RiskAssessment, ttlMs?: number): Promise<ApprovalRow>;
  decide(ref: ApprovalRef, decision: DecisionInput): Promise<ApprovalRow>;
  /** Marks overdue undecided approvals expired (for a scheduler); returns them. */
  expireOverdue(): Promise<ApprovalRow[]>;
  get(approvalId: string): Promise<ApprovalRow>;
}

export interface ApprovalsDeps {
  db: Db;
  audit: AuditLog;
  clock?: Clock;
  policy?: ApprovalPolicyInput;
  newId?: () => string;
}

export function createApprovals(deps: ApprovalsDeps): Approvals {
  const { db, audit } = deps;
  const clock = deps.clock ?? systemClock;
  const policy = approvalPolicySchema.parse(deps.policy ?? {});
  const newId = deps.newId ?? (() => `apr_${randomUUID()}`);

  const entryFor = (
    row: ApprovalRow,
    event: ApprovalEntry["event"],
    by: string,
    byPolicy: boolean,
    reason: string | null,
    at: Date,
  ): NewAuditEntry => {
    const risk = riskAssessmentSchema.safeParse(row.risk);
    return {
      kind: "approval",
      actor: byPolicy ? policyActor(policy.version) : event === "expired" ? APPROVAL_EXPIRY_ACTOR : by,
      cycleId: row.cycleId,
      at,
      entry: {
        approvalId: row.approvalId,
        event,
        by,
        byPolicy,
        reason,
        riskTier: risk.success ? risk.data.tier : "human",
        triggers: risk.success ? risk.data.triggers : [],
        policyVersion: risk.success ? risk.data.policyVersion : policy.version,
        expiresAt: event === "requested" ? row.expiresAt.toISOString() : undefined,
      },
    };
  };

  async function locate(client: pg.PoolClient, ref: ApprovalRef): Promise<ApprovalRow> {
    const row = "approvalId" in ref ? await lockApproval(client, ref.approvalId) : await lockCycleApproval(client, ref.cycleId);
    if (!row) throw new ApprovalNotFoundError("approvalId" in ref ? `approval "${ref.approvalId}"` : `approval for cycle "${ref.cycleId}"`);
    return row;
  }

  return {
    async requestApproval(cycleId, requestedBy, riskInput, ttlMs) {
      const by = requestedBy.trim();
      if (by.length === 0) throw new ApprovalRequestError("requestedBy must name who asks for approval");
      if (by.startsWith("policy:")) throw new ApprovalRequestError(`"${by}" is reserved for automatic approval`);
      const ttl = ttlMs ?? policy.ttlHours * 3_600_000;
      if (!(ttl > 0)) throw new ApprovalRequestError(`ttl must be positive (got ${ttl} ms)`);
      const parsedRisk = riskAssessmentSchema.safeParse(riskInput);
      if (!parsedRisk.success) throw new ApprovalRequestError(`risk is not a risk assessment: ${parsedRisk.error.issues[0]!.message}`);
      const risk = parsedRisk.data;

      const now = clock.now();
      const auto = risk.tier === "auto";
      const row: ApprovalRow = {
        approvalId: newId(),
        cycleId,
        requestedBy: by,
        risk,
        decision: auto ? "approved" : null,
        decidedBy: auto ? policyActor(risk.policyVersion) : null,
        reason: auto ? `auto-approved by policy ${risk.policyVersion}: no risk trigger` : null,
        createdAt: now,
        expiresAt: new Date(now.getTime() + ttl),
        decidedAt: auto ? now : null,
      };
      try {
        await db.transaction(async (client) => {
          await insertApproval(client, row);
          const entries = [entryFor(row, "requested", by, false, null, now)];
          if (auto) entries.push({ ...entryFor(row, "approved", row.decidedBy!, true, row.reason, now), actor: row.decidedBy! });
          await audit.appendInTransaction(client, entries);
        });
      } catch (err) {
        if ((err as { code?: string }).code === "23503") throw new ApprovalRequestError(`unknown cycle "${cycleId}"`, { cause: err });
        throw err;
      }
      return row;
    },

    async decide(ref, input) {
      const now = clock.now();
      const outcome = await db.transaction(async (client) => {
        const row = await locate(client, ref);
        if (row.decision !== null) return { kind: "already" as const, row };
        const { by, reason } = checkDecision(row, input);
        if (isExpired(row.expiresAt, now)) {
          const expiredReason = `expired before a decision (${by} tried to record "${input.decision}" at ${now.toISOString()})`;
          await recordDecision(client, row.approvalId, { decision: "expired", decidedBy: null, reason: expiredReason, decidedAt: now });
          await audit.appendInTransaction(client, [entryFor(row, "expired", APPROVAL_EXPIRY_ACTOR, false, expiredReason, now)]);
          return { kind: "expired" as const, row };
        }
        await recordDecision(client, row.approvalId, { decision: input.decision, decidedBy: by, reason, decidedAt: now });
        await audit.appendInTransaction(client, [entryFor(row, input.decision, by, false, reason, now)]);
        return { kind: "decided" as const, row: { ...row, decision: input.decision, decidedBy: by, reason, decidedAt: now } };
      });
      // Thrown after the commit, so the expiry above is kept.
      if (outcome.kind === "already")
        throw new ApprovalAlreadyDecidedError(outcome.row.approvalId, outcome.row.decision!, outcome.row.decidedBy, outcome.row.decidedAt);
      if (outcome.kind === "expired") throw new ApprovalExpiredError(outcome.row.approvalId, outcome.row.expiresAt);
      return outcome.row;
    },

    async expireOverdue() {
      const now = clock.now();
      return db.transaction(async (client) => {
        const expired = await expireOverdueApprovals(client, now);
        await audit.appendInTransaction(
          client,
          expired.map((row) => entryFor(row, "expired", APPROVAL_EXPIRY_ACTOR, false, row.reason, now)),
        );
        return expired;
      });
    },

    async get(approvalId) {
      const row = await getApproval(db.pool, approvalId);
      if (!row) throw new ApprovalNotFoundError(`approval "${approvalId}"`);
      return row;
    },
  };
}
