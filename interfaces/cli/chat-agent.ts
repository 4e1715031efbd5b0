import { createChatAgent } from "../../agents/chat/agent.js";
import type { ChatCycles } from "../../agents/chat/configuration.js";
import type { ChatAgent } from "../../agents/chat/contract.js";
import { createLlmClientFromConfig } from "../../agents/llm/openai-client.js";
import { systemClock } from "../../core/clock.js";
import type { Config } from "../../core/config.js";
import { createAuditLog } from "../../guardrails/audit.js";
import type { Db } from "../../store/db.js";
import { openCycleContext } from "./cycle-context.js";

/**
 * The chat agent as `pulse chat` and `pulse serve` (Slack) run it: offline understanding, or tool
 * calling when an LLM is configured. `openCycles` defaults to a cycle runtime of its own, opened on
 * the first request that needs it; `pulse serve` passes the one it already runs.
 */
export function openChatAgent(db: Db, config: Config, openCycles?: () => Promise<ChatCycles>): Promise<ChatAgent> {
  const llm = createLlmClientFromConfig(config);
  return createChatAgent({
    db,
    audit: createAuditLog(db, systemClock),
    clock: systemClock,
    openCycles: openCycles ?? (() => openCycleContext(db, config)),
    ...(llm ? { llm } : {}),
  });
}
