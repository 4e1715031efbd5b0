import { digestOf } from "../../guardrails/audit-hash.js";
import type { CycleDeps } from "./deps.js";

/** Audits one deterministic tool call: digests of its input and output and a short summary. */
export async function auditToolCall(deps: Pick<CycleDeps, "audit" | "actor">, cycleId: string, tool: string, input: unknown, output: unknown, summary: string, durationMs?: number): Promise<void> {
  await deps.audit.append({
    kind: "tool_call",
    actor: deps.actor,
    cycleId,
    entry: { tool, inputDigest: digestOf(input), outputDigest: digestOf(output), summary, ok: true, ...(durationMs === undefined ? {} : { durationMs }) },
  });
}
