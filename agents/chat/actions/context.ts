import type { ChatAgentDeps, ChatCycles } from "../configuration.js";
import type { ActionOutcome, ChatInput } from "../state.js";

export interface ActionContext {
  deps: ChatAgentDeps;
  cycles: () => Promise<ChatCycles>;
  input: ChatInput;
  params: Record<string, unknown>;
  /** The cycle the conversation is about, if any. */
  threadCycleId?: string;
  now: Date;
}

export type ChatAction = (ctx: ActionContext) => Promise<ActionOutcome>;

export function done(text: string, extra: Partial<ActionOutcome["reply"]> = {}, cycleId?: string): ActionOutcome {
  return { outcome: "done", reply: { text, ...extra }, ...(cycleId ? { cycleId } : {}) };
}

export function refused(text: string, cycleId?: string): ActionOutcome {
  return { outcome: "refused", reply: { text }, ...(cycleId ? { cycleId } : {}) };
}
