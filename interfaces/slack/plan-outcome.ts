import type { CycleState } from "../../workflows/cycle/state.js";
import { APPROVAL_EXPIRY_ACTOR } from "../../guardrails/approval-rules.js";

/** What a plan message shows: the plan's state as far as the people in the channel care. */
export type PlanOutcome =
  | { kind: "waiting" }
  | { kind: "approved"; by: string; at: string }
  | { kind: "sent"; by: string; sent: number; suppressed: number; failed: number }
  | { kind: "rejected"; by: string; reason: string }
  | { kind: "expired"; reason: string }
  | { kind: "measured"; by: string; headline: string };
export type PlanShown = PlanOutcome["kind"];

/**
 * The outcome of a cycle's plan from its state and its messages' counts by status. "sent" once every
 * treated customer's message exists and none is still queued. Pure.
 */
export function planOutcome(state: CycleState, messages: readonly { status: string; n: number }[]): PlanOutcome {
  const approval = state.approval;
  if (!approval) return { kind: "waiting" };
  if (approval.decision === "rejected") {
    return approval.by === APPROVAL_EXPIRY_ACTOR
      ? { kind: "expired", reason: approval.reason ?? "the approval request expired" }
      : { kind: "rejected", by: approval.by, reason: approval.reason ?? "" };
  }
  if (state.measurement) return { kind: "measured", by: approval.by, headline: state.measurement.headline };
  const count = (status: string) => messages.filter((m) => m.status === status).reduce((a, m) => a + m.n, 0);
  const total = messages.reduce((a, m) => a + m.n, 0);
  if (state.activation && total >= state.activation.treated && total > 0 && count("queued") === 0)
    return { kind: "sent", by: approval.by, sent: count("sent"), suppressed: count("suppressed"), failed: count("dead_lettered") };
  return { kind: "approved", by: approval.by, at: approval.at };
}
