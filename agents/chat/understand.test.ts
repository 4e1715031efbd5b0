import { afterEach, describe, expect, it } from "vitest";
import { reply, startTestLlmServer, type TestLlmServer } from "../../evals/llm-test-server/server.js";
import { createLlmClient } from "../llm/openai-client.js";
import { understandRequest } from "./understand.js";

const NOW = new Date("2026-01-07T12:00:00Z");
let server: TestLlmServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const client = (srv: TestLlmServer) =>
  createLlmClient({ apiKey: "local", baseURL: srv.url, model: "gpt-4o-mini", timeoutMs: 5_000, maxRetries: 0, maxRepairs: 0 });

describe("understanding with an LLM (local OpenAI-compatible test server)", () => {
  it("lets the model call resolve_dates, parses its answer with zod and reports its cost", async () => {
    server = await startTestLlmServer([
      reply.toolCalls([{ id: "d1", name: "resolve_dates", arguments: { phrase: "until monday", kind: "until" } }], {
        prompt_tokens: 900,
        completion_tokens: 30,
      }),
      reply.json({ intent: "pause", params: { channels: ["sms"], until: "2026-01-12" } }, { prompt_tokens: 1000, completion_tokens: 25 }),
    ]);
    const r = await understandRequest("pause all SMS until Monday", { now: NOW, llm: client(server) });
    expect(r).toMatchObject({ intent: "pause", params: { channels: ["sms"], until: "2026-01-12" }, understoodBy: "llm" });
    expect(r.costUsd).toBeGreaterThan(0);
    // The tool's answer went back to the model: Pulse's date arithmetic, not the model's.
    const second = JSON.stringify(server.requests.at(-1)!.body);
    expect(second).toContain("2026-01-12");
    expect(second).toContain("resolve_dates");
  });

  it("falls back to the offline understanding when the answer's parameters are invalid", async () => {
    server = await startTestLlmServer([reply.json({ intent: "pause", params: { channels: ["fax"], until: "monday" } })]);
    const r = await understandRequest("pause all SMS until Monday", { now: NOW, llm: client(server) });
    expect(r).toMatchObject({ intent: "pause", params: { channels: ["sms"], until: "2026-01-12" }, understoodBy: "offline" });
    expect(r.fallbackReason).toMatch(/parameters of pause/);
  });

  it("falls back when the model's answer is not the answer schema", async () => {
    server = await startTestLlmServer([reply.content("I think you want to pause texts.")]);
    const r = await understandRequest("resume email", { now: NOW, llm: client(server) });
    expect(r).toMatchObject({ intent: "resume", params: { channels: ["email"] }, understoodBy: "offline" });
    expect(r.fallbackReason).toBeDefined();
  });
});
