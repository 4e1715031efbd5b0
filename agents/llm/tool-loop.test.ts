import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { reply, startTestLlmServer, type TestLlmServer } from "../../evals/llm-test-server/server.js";
import { defineTool, toLangChainTool } from "../../tools/define-tool.js";
import { LlmAccounting } from "./accounting.js";
import { LlmOutputError, LlmPiiError } from "./errors.js";
import { createLlmClient } from "./openai-client.js";
import type { LlmCallRecord, LlmToolCallRecord } from "./types.js";

const prompt = { id: "strategist", version: 1, hash: "cd".repeat(32) };

// A deterministic tool as Pulse builds them: zod at both ends, exposed through toLangChainTool.
const maxDiscount = defineTool({
  name: "max_discount",
  description: "Largest discount allowed for a segment, from margin and offer limits.",
  input: z.object({ segmentId: z.string().regex(/^s-\d+$/), margin: z.number().min(0).max(1) }),
  output: z.object({ segmentId: z.string(), maxDiscount: z.number() }),
  fn: ({ segmentId, margin }) => ({ segmentId, maxDiscount: Math.round(Math.min(0.3, margin / 2) * 100) / 100 }),
});
const explode = defineTool({
  name: "explode",
  description: "Always fails.",
  input: z.object({}),
  output: z.object({}),
  fn: () => {
    throw new Error("segment store unavailable");
  },
});
const leaky = defineTool({
  name: "leaky",
  description: "Returns contact data (a bug).",
  input: z.object({}),
  output: z.object({ contact: z.string() }),
  fn: () => ({ contact: "bob@example.org" }),
});

const finalSchema = z.object({ segmentId: z.string(), discount: z.number().max(0.3), rationale: z.string() });
const base = {
  agent: "strategist",
  prompt,
  system: "Choose a discount within the tool's bound. Final answer: JSON {segmentId, discount, rationale}.",
  user: "Segment s-7, margin 0.4.",
  tools: [toLangChainTool(maxDiscount), toLangChainTool(explode)],
  finalSchema,
};

let server: TestLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function harness(srv: TestLlmServer) {
  const calls: LlmCallRecord[] = [];
  const toolCalls: LlmToolCallRecord[] = [];
  const accounting = new LlmAccounting();
  const client = createLlmClient({
    apiKey: "k",
    baseURL: srv.url,
    model: "gpt-4o-mini",
    timeoutMs: 5_000,
    maxRetries: 1,
    onCall: (r) => {
      calls.push(r);
      accounting.record(r);
    },
    onToolCall: (r) => {
      toolCalls.push(r);
    },
    backoff: { sleep: async () => {} },
  });
  return { client, calls, toolCalls, accounting };
}

const toolMessages = (srv: TestLlmServer, i: number) =>
  srv.requests[i]!.body!.messages.filter((m) => m.role === "tool").map((m) => ({ id: m.tool_call_id, content: String(m.content) }));

describe("runToolLoop", () => {
  it("answers invalid tool arguments to the model, runs the corrected call and returns the final answer", async () => {
    server = await startTestLlmServer([
      reply.toolCalls([{ id: "c1", name: "max_discount", arguments: '{"segmentId": "s-7", "margin": ' }]),
      reply.toolCalls([{ id: "c2", name: "max_discount", arguments: { segmentId: "seven", margin: 4 } }]),
      reply.toolCalls([{ id: "c3", name: "max_discount", arguments: { segmentId: "s-7", margin: 0.4 } }]),
      reply.json({ segmentId: "s-7", discount: 0.15, rationale: "Within the 0.2 bound." }),
    ]);
    const { client, calls, toolCalls, accounting } = harness(server);
    const perLoop: LlmToolCallRecord[] = [];
    const result = await client.runToolLoop({ ...base, onToolCall: (r) => void perLoop.push(r) });

    expect(result.value).toEqual({ segmentId: "s-7", discount: 0.15, rationale: "Within the 0.2 bound." });
    expect(server.requests).toHaveLength(4);

    // The tools went out as OpenAI function tools with JSON Schema parameters.
    const tools = server.requests[0]!.body!.tools!;
    expect(tools.map((t) => t.function?.name)).toEqual(["max_discount", "explode"]);
    expect(tools[0]!.function!.parameters).toMatchObject({
      type: "object",
      properties: { segmentId: { type: "string" }, margin: { type: "number", minimum: 0, maximum: 1 } },
      required: ["segmentId", "margin"],
    });
    expect(tools[0]!.function!.parameters).not.toHaveProperty("$schema");

    // Errors went back to the model as tool messages; the valid call's result too.
    expect(toolMessages(server, 1)).toEqual([{ id: "c1", content: expect.stringMatching(/not valid JSON/) }]);
    const second = toolMessages(server, 2);
    expect(second[1]!.id).toBe("c2");
    expect(second[1]!.content).toMatch(/did not match the tool's schema: segmentId: .*; margin: /);
    expect(JSON.parse(toolMessages(server, 3)[2]!.content)).toEqual({ segmentId: "s-7", maxDiscount: 0.2 });

    // Every tool call was reported to both listeners and returned.
    expect(toolCalls.map((r) => [r.step, r.toolCallId, r.tool, r.ok])).toEqual([
      [1, "c1", "max_discount", false],
      [2, "c2", "max_discount", false],
      [3, "c3", "max_discount", true],
    ]);
    expect(perLoop).toEqual(toolCalls);
    expect(result.toolCalls).toEqual(toolCalls);
    expect(toolCalls[2]!.redactedResult).toBe('{"segmentId":"s-7","maxDiscount":0.2}');

    expect(calls).toHaveLength(1);
    expect(result.record).toMatchObject({ ok: true, attempts: 4, steps: 4, toolCalls: 3, repairs: 0, retries: 0 });
    expect(accounting.snapshot()).toMatchObject({
      calls: 1,
      toolCalls: 3,
      promptTokens: server.usageTotals().prompt_tokens,
      completionTokens: server.usageTotals().completion_tokens,
    });
  });

  it("tells the model about unknown tools and failing tools instead of throwing", async () => {
    server = await startTestLlmServer([
      reply.toolCalls([
        { id: "u1", name: "send_email", arguments: {} },
        { id: "u2", name: "explode", arguments: {} },
      ]),
      reply.json({ segmentId: "s-7", discount: 0.1, rationale: "Tools unavailable; conservative." }),
    ]);
    const { client, toolCalls } = harness(server);
    const { value } = await client.runToolLoop(base);
    expect(value.discount).toBe(0.1);
    const [unknown, failed] = toolMessages(server, 1);
    expect(JSON.parse(unknown!.content)).toEqual({ error: 'Unknown tool "send_email". Available tools: max_discount, explode.' });
    expect(JSON.parse(failed!.content).error).toMatch(/^The tool failed: .*segment store unavailable/);
    expect(toolCalls.map((r) => r.ok)).toEqual([false, false]);
  });

  it("re-asks when the final answer fails the final schema", async () => {
    server = await startTestLlmServer([
      reply.json({ segmentId: "s-7", discount: 0.5, rationale: "Big." }),
      reply.json({ segmentId: "s-7", discount: 0.2, rationale: "At the bound." }),
    ]);
    const { client } = harness(server);
    const { value, record } = await client.runToolLoop(base);
    expect(value.discount).toBe(0.2);
    expect(record).toMatchObject({ steps: 2, repairs: 1, toolCalls: 0 });
    const lastUser = server.requests[1]!.body!.messages.at(-1)!;
    expect(lastUser.role).toBe("user");
    expect(String(lastUser.content)).toMatch(/discount/);
  });

  it("stops after maxSteps with LlmOutputError when the model never gives a final answer", async () => {
    server = await startTestLlmServer({
      responder: () => reply.toolCalls([{ name: "max_discount", arguments: { segmentId: "s-7", margin: 0.4 } }]),
    });
    const { client, calls, toolCalls } = harness(server);
    const err = await client.runToolLoop({ ...base, maxSteps: 3 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmOutputError);
    expect((err as Error).message).toMatch(/within 3 steps/);
    expect(server.requests).toHaveLength(3);
    expect(toolCalls).toHaveLength(3);
    expect(calls[0]).toMatchObject({ ok: false, steps: 3, toolCalls: 3, repairs: 0 });
  });

  it("refuses to send a tool result carrying contact data back to the model", async () => {
    server = await startTestLlmServer({
      queue: [reply.toolCalls([{ id: "l1", name: "leaky", arguments: {} }])],
      responder: () => reply.json({ segmentId: "s-7", discount: 0, rationale: "x" }),
    });
    const { client, toolCalls } = harness(server);
    const err = await client.runToolLoop({ ...base, tools: [toLangChainTool(leaky)] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmPiiError);
    expect(server.requests).toHaveLength(1);
    expect(toolCalls[0]!.redactedResult).toBe('{"contact":"[email]"}');
  });

  it("refuses a prompt with contact data before any request", async () => {
    server = await startTestLlmServer([]);
    const { client } = harness(server);
    await expect(client.runToolLoop({ ...base, user: "Segment s-7; owner 212-555-0199" })).rejects.toBeInstanceOf(LlmPiiError);
    expect(server.requests).toHaveLength(0);
  });

  it("retries transient failures inside a step", async () => {
    server = await startTestLlmServer([reply.serverError(502), reply.json({ segmentId: "s-7", discount: 0.05, rationale: "ok" })]);
    const { client } = harness(server);
    const { record } = await client.runToolLoop(base);
    expect(record).toMatchObject({ steps: 1, attempts: 2, retries: 1 });
  });
});
