import type { AgentProvenance } from "../../agents/run-agent.js";
import { digestOf } from "../../guardrails/audit-hash.js";
import type { NewAuditEntry } from "../../guardrails/audit-entries.js";
import type { CycleDeps } from "./deps.js";

/** The audit entry of one deterministic tool call: digests of its input and output and a short summary. */
export function toolCallEntry(
  actor: string,
  cycleId: string,
  tool: string,
  input: unknown,
  output: unknown,
  summary: string,
  durationMs?: number,
): NewAuditEntry {
  return {
    kind: "tool_call",
    actor,
    cycleId,
    entry: {
      tool,
      inputDigest: digestOf(input),
      outputDigest: digestOf(output),
      summary,
      ok: true,
      ...(durationMs === undefined ? {} : { durationMs }),
    },
  };
}

/** Audits one deterministic tool call. */
export async function auditToolCall(
  deps: Pick<CycleDeps, "audit" | "actor">,
  cycleId: string,
  tool: string,
  input: unknown,
  output: unknown,
  summary: string,
  durationMs?: number,
): Promise<void> {
  await deps.audit.append(toolCallEntry(deps.actor, cycleId, tool, input, output, summary, durationMs));
}

/** Which twin of an agent decided a step, and why its offline policy ran when an LLM was configured. */
export function agentDecisionEntry(actor: string, cycleId: string, agent: string, subject: string, p: AgentProvenance): NewAuditEntry {
  return {
    kind: "agent_decision",
    actor,
    cycleId,
    entry: {
      agent,
      subject: subject.slice(0, 500),
      source: p.source,
      ...(p.source === "offline" && p.fallbackKind ? { fallback: p.fallbackKind } : {}),
      ...(p.source === "offline" && p.fallbackReason ? { fallbackReason: p.fallbackReason.slice(0, 500) } : {}),
      ...(p.prompt ? { prompt: p.prompt } : {}),
    },
  };
}

/** Audits an agent's decision when the cycle has an LLM configured (offline-only cycles have nothing to explain). */
export async function auditAgentDecision(
  deps: Pick<CycleDeps, "audit" | "actor" | "makeLlm">,
  cycleId: string,
  agent: string,
  subject: string,
  provenance: AgentProvenance,
): Promise<void> {
  if (deps.makeLlm) await deps.audit.append(agentDecisionEntry(deps.actor, cycleId, agent, subject, provenance));
}
