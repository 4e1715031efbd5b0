import type { z } from "zod";
import type { PromptRef } from "../../prompts/registry.js";

/** Token use and cost of one LLM call. */
export interface LlmUsage {
  promptTokens: number;
  completionTokens: number;
  /** Estimated cost in USD from the configured price table. */
  costUsd: number;
}

/** What is recorded (and audited) about every LLM call; prompt and answer are redacted of PII. */
export interface LlmCallRecord {
  agent: string;
  model: string;
  prompt: PromptRef;
  attempts: number;
  ok: boolean;
  error?: string;
  usage: LlmUsage;
  latencyMs: number;
  redactedPrompt: string;
  redactedAnswer: string;
}

export interface LlmJsonRequest<S extends z.ZodType> {
  /** Which agent is asking (segmentation-analyst, strategist, copywriter, measurement-analyst, chat). */
  agent: string;
  prompt: PromptRef;
  system: string;
  user: string;
  /** The answer must be JSON that this schema accepts; invalid answers are retried, then fail. */
  schema: S;
  temperature?: number;
}

export interface LlmJsonResult<T> {
  value: T;
  record: LlmCallRecord;
}

/**
 * The only way agents talk to a model. Implementations: the `openai` client (agents/llm/openai-client.ts).
 * When no API key is configured there is no LlmClient at all and each agent's offline policy runs.
 */
export interface LlmClient {
  readonly model: string;
  completeJson<S extends z.ZodType>(request: LlmJsonRequest<S>): Promise<LlmJsonResult<z.infer<S>>>;
}

/** Called once per LLM call, successful or not (workflows audit it and add it to the cycle's accounting). */
export type LlmCallListener = (record: LlmCallRecord) => void | Promise<void>;
