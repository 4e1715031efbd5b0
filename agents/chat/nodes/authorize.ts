import { roleSchema } from "../../../core/roles.js";
import { refusal } from "../permissions.js";
import type { ChatStateType, ChatStateUpdate } from "../state.js";

/** Routing after understanding: on to the action, or a refusal when the actor's role does not allow it. */
export function routeAfterUnderstand(state: ChatStateType): "act" | "refuse" {
  return refusal(roleSchema.parse(state.input.role), state.understood!.intent) === null ? "act" : "refuse";
}

export function refuseNode(state: ChatStateType): ChatStateUpdate {
  const why = refusal(roleSchema.parse(state.input.role), state.understood!.intent)!;
  return { outcome: { outcome: "refused", reply: { text: `Sorry, ${why}.` } } };
}
