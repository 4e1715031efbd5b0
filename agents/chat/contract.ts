import { z } from "zod";
import type { Actor } from "../../core/roles.js";

/**
 * The chat agent's contract, shared by `pulse chat`, the Slack app and the HTTP API.
 * Intent and parameter names are fixed by issue #10 (the contract checks rely on them).
 */
export const INTENTS = [
  "segments_overview",
  "start_cycle",
  "plan_campaign",
  "show_plan",
  "approve",
  "reject",
  "explain_segment",
  "explain_customer",
  "cycle_results",
  "pause",
  "resume",
  "audit_export",
  "audit_verify",
  "help",
  "unknown",
] as const;
export const intentSchema = z.enum(INTENTS);
export type Intent = z.infer<typeof intentSchema>;

/** What the understanding step returns: `pulse chat --parse-only --json` prints exactly this. */
export const parsedRequestSchema = z.object({
  intent: intentSchema,
  params: z.record(z.string(), z.unknown()),
});
export type ParsedRequest = z.infer<typeof parsedRequestSchema>;

export interface ChatRequest {
  text: string;
  actor: Actor;
  /** One thread per conversation (a Slack thread, a `pulse chat --thread`). */
  threadId: string;
  /** Where the request came from, for the audit log. */
  via: "cli" | "slack" | "api";
  /**
   * How it came in through that interface (Slack: slash_command, app_mention, direct_message). The
   * agent's audit entry is the request's one record, so the interface writes none of its own.
   */
  source?: string;
}

/** A plan waiting for a human, as a chat reply carries it (Slack renders it as Block Kit). */
export interface PendingPlan {
  cycleId: string;
  approvalId: string;
  requestedBy: string;
  expiresAt: string;
  segments: Array<{
    segmentId: string;
    name: string;
    strategy: string;
    channel: string;
    offer: number;
    contacts: number;
    budget: number;
    expectedIncrementalMargin: number;
  }>;
  flags: string[];
}

export interface ChatReply {
  intent: Intent;
  params: Record<string, unknown>;
  /** Plain-language answer; every number in it comes from a tool or a service. */
  text: string;
  /** Structured data behind the answer (rendered by Slack / the API). */
  data?: unknown;
  /** Set when the reply leaves a plan waiting for approval. */
  pendingPlan?: PendingPlan;
  /** Whether an LLM understood the request or the offline understanding did (and why). */
  understoodBy: "llm" | "offline";
}

export interface ChatAgent {
  handle(request: ChatRequest): Promise<ChatReply>;
  close(): Promise<void>;
}
