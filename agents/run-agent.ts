import type { z } from "zod";
import type { LlmFallbackKind } from "../guardrails/audit-entries.js";
import { llmFailureKind } from "./llm/errors.js";
import type { RenderedPrompt } from "../prompts/registry.js";
import type { LlmClient } from "./llm/types.js";

/** Which twin produced an agent's output, and why the offline one ran when it did. */
export interface AgentProvenance {
  source: "llm" | "offline";
  /** Set when the LLM path was configured but its answer could not be used. */
  fallbackReason?: string;
  /** Why, as a class: down, timeout, invalid_answer (also an answer the agent's checks refused), refused, error. */
  fallbackKind?: LlmFallbackKind;
  prompt?: { id: string; version: number; hash: string };
}

/**
 * Runs an agent: the LLM when one is configured, its answer parsed by `schema` and checked by
 * `accept` (which enforces that the LLM only chose among tool-backed options); otherwise, or when
 * the answer cannot be used, the deterministic offline policy with the same output type.
 */
export async function runAgent<S extends z.ZodType, T>(options: {
  agent: string;
  llm?: LlmClient;
  prompt: () => RenderedPrompt;
  schema: S;
  /** Turns a valid answer into the output, or throws an Error naming what is wrong. */
  accept: (answer: z.infer<S>) => T;
  offline: () => T;
}): Promise<{ output: T; provenance: AgentProvenance }> {
  if (!options.llm) return { output: options.offline(), provenance: { source: "offline" } };
  let prompt: RenderedPrompt | undefined;
  let answered = false;
  try {
    prompt = options.prompt();
    const { value } = await options.llm.completeJson({
      agent: options.agent,
      prompt: prompt.ref,
      system: prompt.system,
      user: prompt.user,
      schema: options.schema,
    });
    answered = true;
    return { output: options.accept(value), provenance: { source: "llm", prompt: prompt.ref } };
  } catch (err) {
    return {
      output: options.offline(),
      provenance: {
        source: "offline",
        fallbackReason: (err as Error).message.slice(0, 300),
        // An answer the agent's own checks refused is as unusable as one that is not JSON.
        fallbackKind: answered ? "invalid_answer" : llmFailureKind(err),
        ...(prompt ? { prompt: prompt.ref } : {}),
      },
    };
  }
}
