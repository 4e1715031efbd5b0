import type { Connector } from "../../connectors/connector.js";
import type { Clock } from "../../core/clock.js";
import { LlmAccounting } from "../../agents/llm/accounting.js";
import type { LlmCallListener, LlmCallRecord, LlmClient } from "../../agents/llm/types.js";
import type { CopyCache } from "../../agents/copywriter/index.js";
import type { Approvals } from "../../guardrails/approval-decisions.js";
import type { AuditLog } from "../../guardrails/audit.js";
import type { Db } from "../../store/db.js";
import type { JobRunner } from "../jobs/types.js";
import type { CycleMemo } from "./cycle-memo.js";
import type { CycleState } from "./state.js";

/** Copy answers a process keeps for identical prompts: a few kB each, the least recently used dropped first. */
export const COPY_CACHE_ENTRIES = 1_000;

/** Everything the cycle's nodes and processors need, passed in (tests and the demo swap parts). */
export interface CycleDeps {
  db: Db;
  clock: Clock;
  audit: AuditLog;
  approvals: Approvals;
  runner: JobRunner;
  connector: Connector;
  /**
   * Makes an LLM client whose every call (successful or not) goes to `onCall`. Absent when no
   * OPENAI_API_KEY is set: every agent's offline policy runs.
   */
  makeLlm?: (onCall: LlmCallListener) => LlmClient;
  /** At most this many LLM calls of one node at once (PULSE_LLM_CONCURRENCY; core/config.ts's DEFAULT_LLM_CONCURRENCY when absent). */
  llmConcurrency?: number;
  /** Identical copy prompts are answered from here, across cycles of this process (bounded: COPY_CACHE_ENTRIES). */
  copyCache: CopyCache;
  /**
   * Per-cycle data computed once per process and released when the cycle stops in this process
   * (waits, finishes, is rejected or fails); recomputed from the database when needed again.
   */
  memo: CycleMemo;
  /** Who a human approver must not be, and the actor name Pulse writes with. */
  actor: string;
}

/** The graph state's LLM usage after a node: what it was before plus the node's own calls. */
export function addLlmUsage(before: CycleState["llm"], calls: LlmAccounting): CycleState["llm"] {
  const s = calls.snapshot();
  return {
    calls: before.calls + s.calls,
    failures: before.failures + s.failures,
    promptTokens: before.promptTokens + s.promptTokens,
    completionTokens: before.completionTokens + s.completionTokens,
    costUsd: before.costUsd + s.costUsd,
  };
}

/** Keeps the start of a text the audit schema caps (llm_call prompts and answers at 20,000 characters, errors at 2,000), saying how much was cut. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 40)}… [${text.length - (max - 40)} more characters]`;
}

/** Records an LLM call in the cycle's accounting and in the audit log (redacted prompt and answer). */
export async function recordLlmCall(
  deps: Pick<CycleDeps, "audit" | "actor">,
  cycleId: string,
  accounting: LlmAccounting,
  r: LlmCallRecord,
): Promise<void> {
  accounting.record(r);
  await deps.audit.append({
    kind: "llm_call",
    actor: deps.actor,
    cycleId,
    entry: {
      agent: r.agent,
      model: r.model,
      prompt: r.prompt,
      tokens: { prompt: r.usage.promptTokens, completion: r.usage.completionTokens },
      costUsd: r.usage.costUsd,
      attempts: r.attempts,
      latencyMs: r.latencyMs,
      redactedPrompt: clip(r.redactedPrompt, 20_000),
      redactedAnswer: clip(r.redactedAnswer, 20_000),
      ok: r.ok,
      ...(r.error ? { error: clip(r.error, 2_000) } : {}),
    },
  });
}

/**
 * The LLM client for one node run (none offline): its calls are audited, and counted so the node
 * returns the state's usage so far plus its own (`usage()`), which survives a restart with the state.
 */
export function cycleLlm(
  deps: CycleDeps,
  state: Pick<CycleState, "cycleId" | "llm">,
): { client: LlmClient | undefined; usage(): CycleState["llm"] } {
  const accounting = new LlmAccounting();
  return {
    client: deps.makeLlm?.((record) => recordLlmCall(deps, state.cycleId, accounting, record)),
    usage: () => addLlmUsage(state.llm, accounting),
  };
}
