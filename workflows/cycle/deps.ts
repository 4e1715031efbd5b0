import type { Connector } from "../../connectors/connector.js";
import type { Clock } from "../../core/clock.js";
import { LlmAccounting } from "../../agents/llm/accounting.js";
import type { LlmCallListener, LlmCallRecord, LlmClient } from "../../agents/llm/types.js";
import type { CopyCache } from "../../agents/copywriter/index.js";
import type { Approvals } from "../../guardrails/approval-decisions.js";
import type { AuditLog } from "../../guardrails/audit.js";
import type { Db } from "../../store/db.js";
import type { JobRunner } from "../jobs/types.js";
import type { CycleData } from "./cycle-data.js";

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
  /** Identical copy prompts are answered from here, across cycles of this process. */
  copyCache: CopyCache;
  /** Per-cycle LLM accounting, filled by the client's call listener (see llmListener). */
  accounting: Map<string, LlmAccounting>;
  /** Per-cycle data computed once per process; recomputed from the database after a restart. */
  cache: Map<string, CycleData>;
  /** Who a human approver must not be, and the actor name Pulse writes with. */
  actor: string;
}

export function accountingFor(deps: Pick<CycleDeps, "accounting">, cycleId: string): LlmAccounting {
  let a = deps.accounting.get(cycleId);
  if (!a) {
    a = new LlmAccounting();
    deps.accounting.set(cycleId, a);
  }
  return a;
}

/** LLM usage of a cycle so far, for the graph state. */
export function llmUsage(deps: Pick<CycleDeps, "accounting">, cycleId: string) {
  const s = accountingFor(deps, cycleId).snapshot();
  return { calls: s.calls, failures: s.failures, promptTokens: s.promptTokens, completionTokens: s.completionTokens, costUsd: s.costUsd };
}

/** Keeps the start of a text the audit schema caps (llm_call prompts and answers at 20,000 characters, errors at 2,000), saying how much was cut. */
function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 40)}… [${text.length - (max - 40)} more characters]`;
}

/** Records an LLM call in the cycle's accounting and in the audit log (redacted prompt and answer). */
export async function recordLlmCall(
  deps: Pick<CycleDeps, "accounting" | "audit" | "actor">,
  cycleId: string,
  r: LlmCallRecord,
): Promise<void> {
  accountingFor(deps, cycleId).record(r);
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

/** The LLM client for one cycle: its calls land in that cycle's accounting and audit (none offline). */
export function cycleLlm(deps: CycleDeps, cycleId: string): LlmClient | undefined {
  return deps.makeLlm?.((record) => recordLlmCall(deps, cycleId, record));
}
