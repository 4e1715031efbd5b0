import { z } from "zod";

/**
 * Who may do what, shared by every interface where a person acts (CLI, chat, Slack, HTTP API,
 * dashboard). Authentication tells who someone is; this table tells what their role allows.
 */
export const ROLES = ["marketer", "approver", "compliance", "admin"] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const ACTIONS = [
  "read", // cycles, plans, segments, results, metrics
  "start_cycle", // start a cycle or plan a campaign from a brief
  "decide", // approve or reject a plan waiting for a human (never one's own request)
  "pause", // pause or resume sends (durable suppression rules)
  "audit", // audit why / verify / export
  "admin", // guardrail policy, tokens
] as const;
export type Action = (typeof ACTIONS)[number];

const GRANTS: Record<Role, readonly Action[]> = {
  marketer: ["read", "start_cycle", "pause"],
  approver: ["read", "decide"],
  compliance: ["read", "audit"],
  admin: ["read", "start_cycle", "decide", "pause", "audit", "admin"],
};

export function can(role: Role, action: Action): boolean {
  return GRANTS[role].includes(action);
}

/** A person (or the scheduler) acting on Pulse, as the audit log records them. */
export const actorSchema = z.object({
  /** Stable id: `slack:U123`, `token:<name>`, `cli:<os user>`, `scheduler`. */
  id: z.string().min(1),
  role: roleSchema,
  /** Display name, when known. */
  name: z.string().optional(),
});
export type Actor = z.infer<typeof actorSchema>;
