import type { Actor, Role } from "../../core/roles.js";

/** The Pulse actor id of a Slack user, as the audit log and the cycle's requester/decider record it. */
export const slackActorId = (userId: string) => `slack:${userId}`;

/** The Pulse actor a Slack user acts as, from the configured mapping; null for anyone not in it. */
export function slackActor(userId: string, roles: Readonly<Record<string, Role>>): Actor | null {
  const role = Object.hasOwn(roles, userId) ? roles[userId] : undefined;
  return role ? { id: slackActorId(userId), role } : null;
}

/** What an unknown user is told: polite, and enough for an admin to add them. */
export function unknownUserText(userId: string): string {
  return `Sorry, I can't help you yet: your Slack user (${userId}) has no Pulse role. Ask a Pulse admin to add it to PULSE_SLACK_ROLES (as marketer, approver, compliance or admin).`;
}
