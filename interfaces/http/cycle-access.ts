import { InvalidApprovalError } from "../../guardrails/approval-errors.js";
import type { CycleService } from "../../workflows/cycle/service.js";
import type { Actor } from "../../core/roles.js";

/**
 * What the HTTP server needs of the cycle machinery: the service, and (without Redis) a way to run
 * the jobs a step enqueued. `openCycleContext` returns one; so will `createCycleRuntime`.
 */
export interface CycleAccess {
  service: CycleService;
  drain?(): Promise<unknown>;
}

/**
 * An approver's decision, as the actor the token stands for. The cycle service and its guardrails
 * refuse the requester (SelfApprovalError, an InvalidApprovalError); jobs the decision enqueued run before returning.
 */
export async function decideAs(
  cycles: CycleAccess,
  actor: Actor,
  cycleId: string,
  decision: "approved" | "rejected",
  reason: string | undefined,
) {
  const result = await cycles.service.decide(cycleId, { decision, by: actor.id, ...(reason?.trim() ? { reason: reason.trim() } : {}) });
  await cycles.drain?.();
  return decision === "approved" ? await cycles.service.get(cycleId) : result;
}

export { InvalidApprovalError };
