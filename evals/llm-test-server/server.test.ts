import OpenAI from "openai";
import { afterEach, describe, expect, it } from "vitest";
import { jsonResponder, reply, startTestLlmServer, type TestLlmServer } from "./server.js";

let server: TestLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const clientFor = (srv: TestLlmServer) => new OpenAI({ apiKey: "k", baseURL: srv.url, maxRetries: 0, timeout: 2_000 });
const chat = { model: "m", messages: [{ role: "user" as const, content: "hi" }] };

describe("test LLM server", () => {
  it("lists its model", async () => {
    server = await startTestLlmServer({ model: "pulse-local" });
    const models = await clientFor(server).models.list();
    expect(models.data.map((m) => m.id)).toEqual(["pulse-local"]);
  });

  it("answers from the queue in order, then from enqueued replies, and records usage", async () => {
    server = await startTestLlmServer([reply.json({ a: 1 }, { prompt_tokens: 7, completion_tokens: 2 })]);
    server.enqueue(reply.toolCalls([{ id: "t1", name: "f", arguments: "{bad" }]));
    const openai = clientFor(server);
    const first = await openai.chat.completions.create(chat);
    expect(first.choices[0]!.message.content).toBe('{"a":1}');
    expect(first.usage).toMatchObject({ prompt_tokens: 7, completion_tokens: 2, total_tokens: 9 });
    const second = await openai.chat.completions.create(chat);
    expect(second.choices[0]!.finish_reason).toBe("tool_calls");
    expect(second.choices[0]!.message.tool_calls).toEqual([{ id: "t1", type: "function", function: { name: "f", arguments: "{bad" } }]);
    expect(server.requests.map((r) => r.reply)).toEqual(["json", "tool-calls"]);
    expect(server.usageTotals().prompt_tokens).toBe(7 + second.usage!.prompt_tokens);
  });

  it("sends errors with their headers and says when the script is exhausted", async () => {
    server = await startTestLlmServer([reply.rateLimited(3)]);
    const openai = clientFor(server);
    const limited = await openai.chat.completions.create(chat).catch((e: unknown) => e);
    expect(limited).toBeInstanceOf(OpenAI.RateLimitError);
    expect((limited as InstanceType<typeof OpenAI.RateLimitError>).headers.get("retry-after")).toBe("3");
    const exhausted = await openai.chat.completions.create(chat).catch((e: unknown) => e);
    expect(exhausted).toBeInstanceOf(OpenAI.BadRequestError);
    expect((exhausted as Error).message).toMatch(/script exhausted/);
  });

  it("rejects malformed requests, streaming and unknown routes", async () => {
    server = await startTestLlmServer([]);
    const bad = await fetch(`${server.url}/chat/completions`, { method: "POST", body: '{"model": "m"}' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toMatch(/messages/);
    const stream = await fetch(`${server.url}/chat/completions`, { method: "POST", body: JSON.stringify({ ...chat, stream: true }) });
    expect(stream.status).toBe(400);
    expect((await fetch(`${server.url}/embeddings`, { method: "POST", body: "{}" })).status).toBe(404);
  });

  it("closes promptly while a request hangs", async () => {
    server = await startTestLlmServer([reply.hang()]);
    const pending = clientFor(server)
      .chat.completions.create(chat)
      .catch((e: unknown) => e);
    while (server.requests.length === 0) await new Promise((r) => setTimeout(r, 5));
    const started = performance.now();
    await server.close();
    server = undefined;
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(await pending).toBeInstanceOf(OpenAI.APIConnectionError);
  });

  describe("faults", () => {
    const ok = jsonResponder(() => ({ fine: true }));

    it("goes down from the Nth request on: that request's connection drops, later ones are refused, recover() listens again", async () => {
      server = await startTestLlmServer({ responder: ok, faults: [{ from: 1, fault: { kind: "down" } }] });
      const openai = clientFor(server);
      expect((await openai.chat.completions.create(chat)).choices[0]!.message.content).toBe('{"fine":true}');
      expect(await openai.chat.completions.create(chat).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(server.isDown()).toBe(true);
      const refused = await openai.chat.completions.create(chat).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(String((refused as Error).cause ?? "")).toMatch(/ECONNREFUSED|fetch failed/);
      // The refused request never reached the server.
      expect(server.requests.map((r) => r.fault ?? r.reply)).toEqual(["json", "down"]);
      await server.recover();
      expect(server.isDown()).toBe(false);
      expect((await openai.chat.completions.create(chat)).choices[0]!.message.content).toBe('{"fine":true}');
    });

    it("answers slowly, nonsense or with no choice on the listed requests only", async () => {
      server = await startTestLlmServer({
        responder: ok,
        faults: [
          { at: [0], fault: { kind: "slow", delayMs: 1_000 } },
          { at: [1], fault: { kind: "non-json" } },
          { at: [2], fault: { kind: "wrong-shape" } },
          { at: [3], fault: { kind: "empty-choice" } },
          { at: [4], fault: { kind: "reset" } },
        ],
      });
      const openai = new OpenAI({ apiKey: "k", baseURL: server.url, maxRetries: 0, timeout: 200 });
      expect(await openai.chat.completions.create(chat).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.APIConnectionTimeoutError);
      const prose = (await openai.chat.completions.create(chat)).choices[0]!.message.content!;
      expect(() => JSON.parse(prose)).toThrow();
      expect(JSON.parse((await openai.chat.completions.create(chat)).choices[0]!.message.content!)).not.toHaveProperty("fine");
      expect((await openai.chat.completions.create(chat)).choices).toEqual([]);
      expect(await openai.chat.completions.create(chat).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.APIConnectionError);
      expect(server.isDown()).toBe(false);
      expect((await openai.chat.completions.create(chat)).choices[0]!.message.content).toBe('{"fine":true}');
      expect(server.requests.map((r) => r.fault ?? null)).toEqual(["slow", "non-json", "wrong-shape", "empty-choice", "reset", null]);
    });

    it("takes a fault injected while it runs, from the next request on", async () => {
      server = await startTestLlmServer({ responder: ok });
      const openai = clientFor(server);
      await openai.chat.completions.create(chat);
      server.inject({ from: server.chatRequests(), fault: { kind: "wrong-shape" } });
      for (let i = 0; i < 2; i++) expect((await openai.chat.completions.create(chat)).choices[0]!.message.content).toContain("answer");
      expect(server.requests.map((r) => r.fault ?? null)).toEqual([null, "wrong-shape", "wrong-shape"]);
    });
  });
});
