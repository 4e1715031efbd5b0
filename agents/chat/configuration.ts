import type { Clock } from "../../core/clock.js";
import type { AuditLog } from "../../guardrails/audit.js";
import type { Db } from "../../store/db.js";
import type { CycleService } from "../../workflows/cycle/service.js";
import type { CycleSettings } from "../../workflows/cycle/settings.js";
import type { LlmToolClient } from "../llm/types.js";

/** The cycle machinery the agent drives: a CycleService and a way to run the jobs it enqueued. */
export interface ChatCycles {
  service: CycleService;
  /** Runs due jobs when they run in this process (sends, measurement); a no-op with Redis workers. */
  drain(): Promise<unknown>;
  close(): Promise<void>;
}

/** Everything the chat agent needs, injected (tests pass a test database and a manual clock). */
export interface ChatAgentDeps {
  db: Db;
  audit: AuditLog;
  clock: Clock;
  /**
   * Opens the cycle machinery once, on the first request that needs it (today
   * `openCycleContext(db, config)`; the coming `createCycleRuntime(config)` slots in here).
   */
  openCycles: () => Promise<ChatCycles>;
  /** The settings a brief narrows (the cycle defaults unless configured otherwise). */
  baseSettings?: CycleSettings;
  /** With an LLM configured: requests are understood by tool calling, with the offline understanding as fallback. */
  llm?: LlmToolClient;
  /** Where `export the audit log` writes its file (default: the system's temporary directory). */
  exportDir?: string;
}
