import { afterEach, describe, expect, it } from "vitest";
import { z } from "zod";
import { reply, startTestLlmServer, type TestLlmServer, jsonResponder, lastUserMessage } from "../../evals/llm-test-server/server.js";
import { LlmAccounting } from "./accounting.js";
import { LlmOutputError, LlmPiiError, LlmRequestError, LlmTimeoutError } from "./errors.js";
import { createLlmClient, createLlmClientFromConfig, type LlmClientOptions } from "./openai-client.js";
import { estimateCostUsd } from "./prices.js";
import type { LlmCallRecord } from "./types.js";

const prompt = { id: "segment-naming", version: 2, hash: "ab".repeat(32) };
const answerSchema = z.object({ name: z.string().min(1), score: z.number().min(0).max(1) });
const ask = {
  agent: "segmentation-analyst",
  prompt,
  system: "Name the segment. Answer in JSON.",
  user: "Segment s-12: 340 customers, high recency.",
  schema: answerSchema,
};

let server: TestLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

function harness(srv: TestLlmServer, overrides: Partial<LlmClientOptions> = {}) {
  const sleeps: number[] = [];
  const records: LlmCallRecord[] = [];
  const client = createLlmClient({
    apiKey: "test-key",
    baseURL: srv.url,
    model: "gpt-4o-mini",
    timeoutMs: 5_000,
    maxRetries: 2,
    onCall: (r) => {
      records.push(r);
    },
    backoff: {
      baseDelayMs: 100,
      random: () => 0.5,
      sleep: async (ms) => {
        sleeps.push(ms);
      },
    },
    ...overrides,
  });
  return { client, sleeps, records };
}

const userMessages = (srv: TestLlmServer, i: number) =>
  srv.requests[i]!.body!.messages.filter((m) => m.role === "user").map((m) => String(m.content));

describe("completeJson through the openai client", () => {
  it("returns a schema-valid answer and records the call with the server's usage", async () => {
    server = await startTestLlmServer([
      reply.json({ name: "Lapsing loyalists", score: 0.8 }, { prompt_tokens: 120, completion_tokens: 30 }),
    ]);
    const { client, records } = harness(server);
    const { value, record } = await client.completeJson(ask);
    expect(value).toEqual({ name: "Lapsing loyalists", score: 0.8 });
    expect(record).toMatchObject({
      agent: "segmentation-analyst",
      model: "gpt-4o-mini",
      prompt,
      attempts: 1,
      ok: true,
      retries: 0,
      repairs: 0,
    });
    expect(record.usage).toEqual({
      promptTokens: 120,
      completionTokens: 30,
      costUsd: estimateCostUsd("gpt-4o-mini", { promptTokens: 120, completionTokens: 30 }),
    });
    expect(record.usage.costUsd).toBeCloseTo((120 * 0.15 + 30 * 0.6) / 1e6, 12);
    expect(records).toEqual([record]);
    const sent = server.requests[0]!;
    expect(sent.headers.authorization).toBe("Bearer test-key");
    expect(sent.body).toMatchObject({ model: "gpt-4o-mini", response_format: { type: "json_object" } });
    expect(sent.body!.messages.map((m) => m.role)).toEqual(["system", "user"]);
  });

  it("re-asks with the parse error after malformed JSON, then accepts the corrected answer", async () => {
    server = await startTestLlmServer([reply.content('{"name": "Lapsing", "score": 0.7'), reply.json({ name: "Lapsing", score: 0.7 })]);
    const { client } = harness(server);
    const { value, record } = await client.completeJson(ask);
    expect(value).toEqual({ name: "Lapsing", score: 0.7 });
    expect(record).toMatchObject({ attempts: 2, repairs: 1, retries: 0, ok: true });
    const second = server.requests[1]!.body!.messages;
    expect(second.map((m) => m.role)).toEqual(["system", "user", "assistant", "user"]);
    expect(second[2]!.content).toBe('{"name": "Lapsing", "score": 0.7');
    expect(userMessages(server, 1)[1]).toMatch(/not valid JSON/);
  });

  it("re-asks with the schema error when the JSON does not match", async () => {
    server = await startTestLlmServer([reply.json({ name: "", score: 3 }), reply.json({ name: "Bargain hunters", score: 0.4 })]);
    const { client } = harness(server);
    const { value } = await client.completeJson(ask);
    expect(value.name).toBe("Bargain hunters");
    const repair = userMessages(server, 1)[1]!;
    expect(repair).toMatch(/did not match the required schema/);
    expect(repair).toMatch(/name/);
    expect(repair).toMatch(/score/);
  });

  it("throws LlmOutputError after the bounded re-asks when the answer stays malformed", async () => {
    server = await startTestLlmServer({ responder: () => reply.content("Sure! Here is the segment name: Lapsing") });
    const { client, records } = harness(server, { maxRepairs: 2 });
    const err = await client.completeJson(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmOutputError);
    expect((err as LlmOutputError).code).toBe("LLM_OUTPUT_INVALID");
    expect((err as LlmOutputError).attempts).toBe(3);
    expect(server.requests).toHaveLength(3);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ ok: false, attempts: 3, repairs: 2, redactedAnswer: "Sure! Here is the segment name: Lapsing" });
    expect(records[0]!.error).toMatch(/^LlmOutputError/);
  });

  it("retries a 429 after the server's Retry-After and counts the retry", async () => {
    server = await startTestLlmServer([reply.rateLimited(2), reply.json({ name: "A", score: 0.1 })]);
    const { client, sleeps } = harness(server);
    const { record } = await client.completeJson(ask);
    expect(sleeps).toEqual([2_000]);
    expect(record).toMatchObject({ attempts: 2, retries: 1, repairs: 0, ok: true });
    expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
  });

  it("backs off exponentially with jitter when no Retry-After is sent, and gives up after maxRetries", async () => {
    server = await startTestLlmServer({ responder: () => reply.serverError(503) });
    const { client, sleeps, records } = harness(server, { maxRetries: 3 });
    const err = await client.completeJson(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmRequestError);
    expect((err as LlmRequestError).status).toBe(503);
    expect((err as LlmRequestError).retryable).toBe(true);
    // base 100 ms doubling, equal jitter with random 0.5: 3/4 of each step
    expect(sleeps).toEqual([75, 150, 300]);
    expect(server.requests).toHaveLength(4);
    expect(records[0]).toMatchObject({ ok: false, attempts: 4, retries: 3 });
  });

  it("retries a 500 then succeeds", async () => {
    server = await startTestLlmServer([reply.serverError(500), reply.json({ name: "B", score: 0.2 })]);
    const { client, sleeps } = harness(server);
    const { value, record } = await client.completeJson(ask);
    expect(value.name).toBe("B");
    expect(record.retries).toBe(1);
    expect(sleeps).toHaveLength(1);
  });

  it("does not retry other 4xx errors", async () => {
    server = await startTestLlmServer([{ kind: "error", status: 401, message: "bad key" }, reply.json({ name: "never", score: 0 })]);
    const { client, sleeps } = harness(server);
    const err = await client.completeJson(ask).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmRequestError);
    expect((err as LlmRequestError).status).toBe(401);
    expect((err as LlmRequestError).retryable).toBe(false);
    expect(server.requests).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it("fails a hanging request with LlmTimeoutError shortly after the timeout", async () => {
    server = await startTestLlmServer([reply.hang()]);
    const { client, records } = harness(server, { timeoutMs: 300, maxRetries: 0 });
    const started = performance.now();
    const err = await client.completeJson(ask).catch((e: unknown) => e);
    const elapsed = performance.now() - started;
    expect(err).toBeInstanceOf(LlmTimeoutError);
    expect((err as LlmTimeoutError).retryable).toBe(true);
    expect(elapsed).toBeGreaterThanOrEqual(280);
    expect(elapsed).toBeLessThan(2_000);
    expect(records[0]).toMatchObject({ ok: false, attempts: 1 });
  });

  it("times out a response whose body stalls after the headers", async () => {
    server = await startTestLlmServer([reply.hangBody()]);
    const { client } = harness(server, { timeoutMs: 300, maxRetries: 0 });
    const started = performance.now();
    await expect(client.completeJson(ask)).rejects.toBeInstanceOf(LlmTimeoutError);
    expect(performance.now() - started).toBeLessThan(2_000);
  });

  it("retries after a timeout and succeeds", async () => {
    server = await startTestLlmServer([reply.hang(), reply.json({ name: "C", score: 0.3 })]);
    const { client } = harness(server, { timeoutMs: 300, maxRetries: 1 });
    const { record } = await client.completeJson(ask);
    expect(record).toMatchObject({ ok: true, attempts: 2, retries: 1 });
  });

  it("falls back to plain chat when the server rejects response_format, and remembers it", async () => {
    server = await startTestLlmServer({
      rejectJsonMode: true,
      responder: () => reply.content('```json\n{"name": "D", "score": 0.5}\n```'),
    });
    const { client } = harness(server);
    const first = await client.completeJson(ask);
    expect(first.value).toEqual({ name: "D", score: 0.5 });
    expect(first.record).toMatchObject({ attempts: 2, retries: 0 });
    expect(server.requests.map((r) => r.status)).toEqual([400, 200]);
    expect(server.requests[1]!.body!.response_format).toBeUndefined();
    await client.completeJson(ask);
    expect(server.requests).toHaveLength(3);
    expect(server.requests[2]!.body!.response_format).toBeUndefined();
  });

  it("adds a JSON instruction only when the system prompt does not mention JSON", async () => {
    server = await startTestLlmServer([reply.json({ name: "E", score: 0 })]);
    const { client } = harness(server);
    await client.completeJson({ ...ask, system: "Name the segment." });
    expect(server.requests[0]!.body!.messages[0]!.content).toBe("Name the segment.\n\nAnswer with a single JSON object only.");
  });

  it("stops a call when the caller's signal aborts, without retrying", async () => {
    server = await startTestLlmServer([reply.hang()]);
    const { client } = harness(server, { timeoutMs: 10_000 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const started = performance.now();
    const err = await client.completeJson({ ...ask, signal: controller.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LlmRequestError);
    expect((err as LlmRequestError).retryable).toBe(false);
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(server.requests).toHaveLength(1);
  });
});

describe("PII at the LLM boundary", () => {
  it("refuses prompts with an e-mail address or phone number before sending anything", async () => {
    server = await startTestLlmServer({ responder: () => reply.json({ name: "x", score: 0 }) });
    const { client, records } = harness(server);
    const email = client.completeJson({ ...ask, user: "Write to jane.doe@example.com about s-12" }).catch((e: unknown) => e);
    const phone = client.completeJson({ ...ask, system: "Call +44 20 7946 0958. Answer in JSON." }).catch((e: unknown) => e);
    const [e1, e2] = await Promise.all([email, phone]);
    expect(e1).toBeInstanceOf(LlmPiiError);
    expect((e1 as LlmPiiError).kinds).toEqual(["email"]);
    expect(e2).toBeInstanceOf(LlmPiiError);
    expect((e2 as LlmPiiError).kinds).toEqual(["phone"]);
    expect(server.requests).toHaveLength(0);
    expect(records.map((r) => r.ok)).toEqual([false, false]);
    expect(records.map((r) => r.attempts)).toEqual([0, 0]);
    const all = records.map((r) => r.redactedPrompt + (r.error ?? "")).join("\n");
    expect(all).not.toContain("jane.doe@example.com");
    expect(all).not.toContain("7946");
    expect(all).toContain("[email]");
  });

  it("sends pseudonymous ids but records them redacted, with hashes masked", async () => {
    server = await startTestLlmServer([reply.json({ name: "cus_a1b2c3d4e5 group", score: 0.5 })]);
    const { client } = harness(server, { redaction: { customerIdPatterns: [/\bcus_[a-z0-9]{10}\b/] } });
    const hash = "f".repeat(64);
    const { record } = await client.completeJson({ ...ask, user: `Example member cus_a1b2c3d4e5, cohort ${hash}` });
    expect(lastUserMessage(server.requests[0]!.body!)).toContain("cus_a1b2c3d4e5");
    expect(record.redactedPrompt).toContain("Example member [customer-id], cohort [hash]");
    expect(record.redactedAnswer).toBe('{"name":"[customer-id] group","score":0.5}');
  });
});

describe("accounting over a cycle", () => {
  it("totals match the usage the server reported, with calls, failures, retries and re-asks", async () => {
    server = await startTestLlmServer([
      reply.json({ name: "A", score: 0.1 }, { prompt_tokens: 100, completion_tokens: 10 }),
      reply.rateLimited(1),
      reply.content("not json", { prompt_tokens: 90, completion_tokens: 5 }),
      reply.json({ name: "B", score: 0.2 }, { prompt_tokens: 130, completion_tokens: 12 }),
      reply.content("nope", { prompt_tokens: 80, completion_tokens: 3 }),
      reply.content("still nope", { prompt_tokens: 85, completion_tokens: 4 }),
    ]);
    const accounting = new LlmAccounting();
    const { client } = harness(server, { onCall: accounting.listener, maxRepairs: 1 });
    await client.completeJson(ask);
    await client.completeJson({ ...ask, agent: "copywriter" });
    await expect(client.completeJson(ask)).rejects.toBeInstanceOf(LlmOutputError);

    const totals = accounting.snapshot();
    const served = server.usageTotals();
    expect(served).toEqual({ prompt_tokens: 485, completion_tokens: 34 });
    expect(totals).toMatchObject({ calls: 3, failures: 1, retries: 1, repairs: 2, attempts: 6, promptTokens: 485, completionTokens: 34 });
    expect(totals.costUsd).toBeCloseTo(estimateCostUsd("gpt-4o-mini", { promptTokens: 485, completionTokens: 34 }), 12);
    expect(totals.byAgent.copywriter).toMatchObject({ calls: 1, retries: 1, repairs: 1, promptTokens: 220 });
    expect(totals.unpricedModels).toEqual([]);
    expect(accounting.summary()).toBe(
      `LLM: 3 calls, 1 failed, 1 retry, 2 re-asks, 0 tool calls, 485 prompt + 34 completion tokens, est. $${totals.costUsd.toFixed(4)}`,
    );
  });
});

describe("responder mode", () => {
  it("answers a longer scenario from the prompt (copy variants per segment)", async () => {
    const copySchema = z.object({ variants: z.array(z.object({ headline: z.string(), body: z.string() })).length(2) });
    server = await startTestLlmServer({
      responder: jsonResponder((req) => {
        const segment = /segment (\S+)/.exec(lastUserMessage(req))?.[1] ?? "?";
        return { variants: [1, 2].map((n) => ({ headline: `Back for ${segment}? (${n})`, body: `Variant ${n} for ${segment}` })) };
      }),
    });
    const { client } = harness(server);
    const segments = ["s-1", "s-2", "s-3", "s-4", "s-5"];
    const results = await Promise.all(
      segments.map((s) =>
        client.completeJson({ ...ask, agent: "copywriter", user: `Write two variants for segment ${s}`, schema: copySchema }),
      ),
    );
    expect(results.map((r) => r.value.variants[0]!.headline)).toEqual(segments.map((s) => `Back for ${s}? (1)`));
    expect(server.requests).toHaveLength(5);
  });
});

describe("createLlmClientFromConfig", () => {
  it("gives no client without an API key, so agents use their offline policy", () => {
    expect(
      createLlmClientFromConfig({
        OPENAI_API_KEY: undefined,
        OPENAI_BASE_URL: undefined,
        PULSE_MODEL: "gpt-4o-mini",
        PULSE_LLM_TIMEOUT_MS: 30_000,
      }),
    ).toBeUndefined();
  });

  it("builds a client from config that reaches the configured base URL", async () => {
    server = await startTestLlmServer([reply.json({ name: "F", score: 1 })]);
    const client = createLlmClientFromConfig({
      OPENAI_API_KEY: "k",
      OPENAI_BASE_URL: server.url,
      PULSE_MODEL: "local-model",
      PULSE_LLM_TIMEOUT_MS: 2_000,
    });
    expect(client?.model).toBe("local-model");
    const { value } = await client!.completeJson(ask);
    expect(value.name).toBe("F");
    expect(server.requests[0]!.body!.model).toBe("local-model");
  });
});
