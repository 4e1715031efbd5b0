import type { StructuredToolInterface } from "@langchain/core/tools";
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
  /** Of `attempts`: repeats of a request after a transient failure (429, 5xx, timeout, connection). */
  retries?: number;
  /** Of `attempts`: re-asks after an answer that was not valid JSON under the schema. */
  repairs?: number;
  /** Tool loops only: model turns taken and tool calls requested by the model. */
  steps?: number;
  toolCalls?: number;
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
  /** Cancels the call (including retry waits); the call then fails with LlmRequestError. */
  signal?: AbortSignal;
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

/** What is recorded (and audited) about every tool call a model asks for, executed or refused. */
export interface LlmToolCallRecord {
  agent: string;
  prompt: PromptRef;
  /** Model turn (1-based) that requested the call. */
  step: number;
  toolCallId: string;
  tool: string;
  /** False when the arguments were rejected or the tool threw; the model was told why. */
  ok: boolean;
  error?: string;
  /** Arguments as the model sent them and the tool's result, both redacted of PII. */
  redactedArgs: string;
  redactedResult: string;
  latencyMs: number;
}

export type LlmToolCallListener = (record: LlmToolCallRecord) => void | Promise<void>;

export interface LlmToolLoopRequest<S extends z.ZodType> {
  agent: string;
  prompt: PromptRef;
  system: string;
  user: string;
  /** Pulse tools come from tools/define-tool.ts `toLangChainTool`. */
  tools: readonly StructuredToolInterface[];
  /** The final answer (a message without tool calls) must be JSON that this schema accepts. */
  finalSchema: S;
  /** Model turns allowed, including re-asks after an invalid final answer. Default 8. */
  maxSteps?: number;
  temperature?: number;
  /** Called for this loop's tool calls, in addition to the client's listener. */
  onToolCall?: LlmToolCallListener;
  signal?: AbortSignal;
}

export interface LlmToolLoopResult<T> {
  value: T;
  record: LlmCallRecord;
  toolCalls: LlmToolCallRecord[];
}

/** A client that can also let the model call Pulse's deterministic tools before answering. */
export interface LlmToolClient extends LlmClient {
  runToolLoop<S extends z.ZodType>(request: LlmToolLoopRequest<S>): Promise<LlmToolLoopResult<z.infer<S>>>;
}
