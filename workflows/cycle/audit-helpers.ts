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
