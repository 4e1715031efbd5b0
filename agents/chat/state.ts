import type { LlmFallbackKind } from "../../guardrails/audit-entries.js";
import { Annotation } from "@langchain/langgraph";
import type { ChatReply, Intent } from "./contract.js";

/** One turn as the thread remembers it: no numbers are reused from here, only ids to refer back to. */
export interface ChatTurn {
  at: string;
  actor: string;
  intent: Intent;
  cycleId?: string;
}

export interface ChatInput {
  text: string;
  actorId: string;
  role: string;
  actorName?: string;
  via: "cli" | "slack" | "api";
  source?: string;
  threadId: string;
  at: string;
}

export interface Understood {
  intent: Intent;
  params: Record<string, unknown>;
  understoodBy: "llm" | "offline";
  fallbackReason?: string;
  /** Why the offline understanding ran although an LLM was configured. */
  fallbackKind?: LlmFallbackKind;
  costUsd?: number;
}

export interface ActionOutcome {
  reply: Omit<ChatReply, "intent" | "params" | "understoodBy">;
  outcome: "done" | "refused" | "failed";
  cycleId?: string;
}

/** The chat graph's state, checkpointed per thread: the current request, and the ids of earlier turns. */
export const ChatState = Annotation.Root({
  input: Annotation<ChatInput>(),
  understood: Annotation<Understood | undefined>(),
  outcome: Annotation<ActionOutcome | undefined>(),
  /** The cycle this conversation is about (the last one planned, shown or decided here). */
  cycleId: Annotation<string | undefined>(),
  history: Annotation<ChatTurn[]>({
    reducer: (a, b) => [...a, ...b].slice(-50),
    default: () => [],
  }),
});
export type ChatStateType = typeof ChatState.State;
export type ChatStateUpdate = typeof ChatState.Update;
