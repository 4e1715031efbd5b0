import type { ChatAgentDeps } from "../configuration.js";
import type { ChatStateType, ChatStateUpdate } from "../state.js";
import { understandRequest } from "../understand.js";

export async function understandNode(state: ChatStateType, deps: ChatAgentDeps): Promise<ChatStateUpdate> {
  const understood = await understandRequest(state.input.text, { now: new Date(state.input.at), ...(deps.llm ? { llm: deps.llm } : {}) });
  return { understood, outcome: undefined };
}
