import type { StructuredToolInterface } from "@langchain/core/tools";
import { toJsonSchema } from "@langchain/core/utils/json_schema";
import { interopSafeParseAsync, isInteropZodSchema } from "@langchain/core/utils/types";
import type {
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
  ChatCompletionMessageToolCall,
} from "openai/resources/chat/completions";
import type { z } from "zod";
import { buildCallRecord, type CallContext, withJsonInstruction } from "./call-context.js";
import { newTally } from "./chat-transport.js";
import { LlmOutputError } from "./errors.js";
import { parseJsonAnswer, repairInstruction } from "./json-answer.js";
import { assertNoContactData } from "./redact.js";
import type { LlmToolCallRecord, LlmToolLoopRequest, LlmToolLoopResult } from "./types.js";

export const DEFAULT_MAX_STEPS = 8;

/** A LangChain tool as an OpenAI function tool; its zod (or JSON) schema becomes the parameters. */
export function toOpenAiTool(tool: StructuredToolInterface): ChatCompletionFunctionTool {
  const { $schema: _ignored, ...parameters } = toJsonSchema(tool.schema as Parameters<typeof toJsonSchema>[0]) as Record<string, unknown>;
  return { type: "function", function: { name: tool.name, description: tool.description, parameters } };
}

interface ToolOutcome {
  ok: boolean;
  /** What goes back to the model as the tool message. */
  content: string;
  error?: string;
}

const refuse = (error: string): ToolOutcome => ({ ok: false, error, content: JSON.stringify({ error }) });

async function execute(
  call: ChatCompletionMessageToolCall,
  tools: ReadonlyMap<string, StructuredToolInterface>,
  signal: AbortSignal | undefined,
): Promise<ToolOutcome> {
  if (call.type !== "function") return refuse("Only function tools are available.");
  const tool = tools.get(call.function.name);
  if (!tool) {
    return refuse(`Unknown tool "${call.function.name}". Available tools: ${[...tools.keys()].join(", ")}.`);
  }
  let args: unknown;
  try {
    args = JSON.parse(call.function.arguments.trim() === "" ? "{}" : call.function.arguments);
  } catch (err) {
    return refuse(`The arguments were not valid JSON (${(err as Error).message}). Call the tool again with a JSON object.`);
  }
  if (isInteropZodSchema(tool.schema)) {
    const checked = await interopSafeParseAsync(tool.schema, args);
    if (!checked.success) {
      const issues = checked.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(arguments)"}: ${i.message}`).join("; ");
      return refuse(`The arguments did not match the tool's schema: ${issues}. Call the tool again with corrected arguments.`);
    }
  }
  try {
    const out: unknown = await (tool as { invoke(input: unknown, config?: { signal?: AbortSignal }): Promise<unknown> }).invoke(
      args,
      signal ? { signal } : undefined,
    );
    return { ok: true, content: typeof out === "string" ? out : JSON.stringify(out) };
  } catch (err) {
    return refuse(`The tool failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Lets the model call tools until it gives a final JSON answer valid under `finalSchema`. Bad tool
 * arguments and tool failures are answered to the model, not thrown; an invalid final answer is
 * re-asked; everything is bounded by maxSteps model turns. Tool results are checked for contact
 * data before they are sent back.
 */
export async function runToolLoop<S extends z.ZodType>(
  ctx: CallContext,
  request: LlmToolLoopRequest<S>,
): Promise<LlmToolLoopResult<z.infer<S>>> {
  const startedAt = ctx.now();
  const tally = newTally();
  const maxSteps = request.maxSteps ?? DEFAULT_MAX_STEPS;
  const toolCalls: LlmToolCallRecord[] = [];
  let repairs = 0;
  let steps = 0;
  let answer = "";
  let value: z.infer<S> | undefined;
  let failure: unknown;
  try {
    assertNoContactData(request.system, "system prompt");
    assertNoContactData(request.user, "user prompt");
    const byName = new Map(request.tools.map((t) => [t.name, t]));
    const openAiTools = request.tools.map(toOpenAiTool);
    const messages: ChatCompletionMessageParam[] = [
      { role: "system", content: withJsonInstruction(request.system) },
      { role: "user", content: request.user },
    ];
    let lastProblem = "";
    let repairPending = false;
    let done = false;
    while (!done && steps < maxSteps) {
      steps += 1;
      if (repairPending) repairs += 1;
      repairPending = false;
      const completion = await ctx.transport.send(
        {
          messages,
          ...(openAiTools.length > 0 ? { tools: openAiTools } : {}),
          ...(request.temperature === undefined ? {} : { temperature: request.temperature }),
        },
        { json: true, tally, ...(request.signal ? { signal: request.signal } : {}) },
      );
      const message = completion.choices[0]?.message;
      const calls = message?.tool_calls ?? [];
      answer = message?.content ?? "";
      if (calls.length > 0) {
        messages.push({ role: "assistant", content: message?.content ?? null, tool_calls: calls });
        for (const call of calls) {
          const started = ctx.now();
          const outcome = await execute(call, byName, request.signal);
          const record: LlmToolCallRecord = {
            agent: request.agent,
            prompt: request.prompt,
            step: steps,
            toolCallId: call.id,
            tool: call.type === "function" ? call.function.name : call.type,
            ok: outcome.ok,
            ...(outcome.error === undefined ? {} : { error: ctx.redact(outcome.error) }),
            redactedArgs: ctx.redact(call.type === "function" ? call.function.arguments : ""),
            redactedResult: ctx.redact(outcome.content),
            latencyMs: Math.max(0, Math.round(ctx.now() - started)),
          };
          toolCalls.push(record);
          await ctx.onToolCall?.(record);
          await request.onToolCall?.(record);
          // A successful result bound for the model must be free of contact data; error texts are ours, redact them.
          if (outcome.ok) assertNoContactData(outcome.content, `result of tool ${record.tool}`);
          messages.push({
            role: "tool",
            tool_call_id: call.id,
            content: outcome.ok ? outcome.content : ctx.redact(outcome.content),
          });
        }
        continue;
      }
      const parsed = parseJsonAnswer(message?.content, request.finalSchema);
      if (parsed.ok) {
        value = parsed.value;
        done = true;
      } else {
        lastProblem = parsed.problem;
        repairPending = true;
        messages.push({ role: "assistant", content: answer }, { role: "user", content: repairInstruction(parsed.problem) });
      }
    }
    if (!done) {
      throw new LlmOutputError(
        `${request.agent}: no valid final answer within ${maxSteps} steps (${request.prompt.id} v${request.prompt.version})`,
        { attempts: tally.attempts, lastProblem: ctx.redact(lastProblem || "the model kept calling tools") },
      );
    }
  } catch (err) {
    failure = err;
  }
  const record = buildCallRecord(ctx, {
    agent: request.agent,
    prompt: request.prompt,
    tally,
    repairs,
    startedAt,
    system: request.system,
    user: request.user,
    answer,
    steps,
    toolCalls: toolCalls.length,
    ...(failure === undefined ? {} : { error: failure }),
  });
  await ctx.onCall?.(record);
  if (failure !== undefined) throw failure;
  return { value: value as z.infer<S>, record, toolCalls };
}
