import { roleSchema } from "../../../core/roles.js";
import { redactPii } from "../../llm/redact.js";
import type { ChatAgentDeps } from "../configuration.js";
import type { ChatStateType, ChatStateUpdate } from "../state.js";

/** Audits the request: who asked, the redacted text, what was understood, what came of it. */
export async function recordNode(state: ChatStateType, deps: ChatAgentDeps): Promise<ChatStateUpdate> {
  const u = state.understood!;
  const o = state.outcome!;
  await deps.audit.append({
    kind: "chat",
    actor: state.input.actorId,
    ...(o.cycleId ? { cycleId: o.cycleId } : {}),
    entry: {
      via: state.input.via,
      ...(state.input.source ? { source: state.input.source } : {}),
      role: roleSchema.parse(state.input.role),
      threadId: state.input.threadId,
      text: redactPii(state.input.text).slice(0, 2000),
      intent: u.intent,
      params: u.params,
      understoodBy: u.understoodBy,
      ...(u.fallbackKind ? { fallback: u.fallbackKind } : {}),
      ...(u.fallbackReason ? { fallbackReason: u.fallbackReason.slice(0, 500) } : {}),
      outcome: o.outcome,
      summary: redactPii(o.reply.text).slice(0, 1000),
      ...(u.costUsd !== undefined ? { costUsd: u.costUsd } : {}),
    },
  });
  return { history: [{ at: state.input.at, actor: state.input.actorId, intent: u.intent, ...(o.cycleId ? { cycleId: o.cycleId } : {}) }] };
}
