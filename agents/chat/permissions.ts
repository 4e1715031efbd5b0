import { can, type Action, type Role } from "../../core/roles.js";
import type { Intent } from "./contract.js";

/** The action each intent performs (core/roles.ts); help and unknown need none. */
export const INTENT_ACTION: Record<Intent, Action | null> = {
  segments_overview: "read",
  start_cycle: "start_cycle",
  plan_campaign: "start_cycle",
  show_plan: "read",
  approve: "decide",
  reject: "decide",
  explain_segment: "read",
  explain_customer: "audit",
  cycle_results: "read",
  pause: "pause",
  resume: "pause",
  audit_export: "audit",
  audit_verify: "audit",
  help: null,
  unknown: null,
};

/** Null when the role may do what the intent asks, else why not (pure). */
export function refusal(role: Role, intent: Intent): string | null {
  const action = INTENT_ACTION[intent];
  if (action === null || can(role, action)) return null;
  return `your role (${role}) may not ${action === "decide" ? "approve or reject plans" : action === "start_cycle" ? "start cycles or plan campaigns" : action === "pause" ? "pause or resume sends" : action === "audit" ? "read audit answers" : action}`;
}
