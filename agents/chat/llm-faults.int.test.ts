import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../../core/clock.js";
import type { Actor } from "../../core/roles.js";
import { jsonResponder, startTestLlmServer, type ServerFault, type TestLlmServer } from "../../evals/llm-test-server/server.js";
import type { LlmFallbackKind } from "../../guardrails/audit-entries.js";
import { createAuditLog } from "../../guardrails/audit.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { testConfig } from "../../workflows/cycle/testing/cycle-test-kit.js";
import { createLlmClientFromConfig, DEFAULT_MAX_RETRIES } from "../llm/openai-client.js";
import { createChatAgent } from "./agent.js";
import { UNDERSTAND_MAX_STEPS } from "./understand.js";

const TIMEOUT_MS = 600;
const ann: Actor = { id: "cli:ann", role: "marketer" };

const CASES: { fault: ServerFault; kind: LlmFallbackKind; requestsPerMessage: number; error: RegExp }[] = [
  // Down: the first faulted request's connection drops, later ones are refused before reaching the server.
  { fault: { kind: "down" }, kind: "down", requestsPerMessage: 0, error: /connection error/i },
  { fault: { kind: "slow", delayMs: TIMEOUT_MS * 4 }, kind: "timeout", requestsPerMessage: 1 + DEFAULT_MAX_RETRIES, error: /timed out/ },
  { fault: { kind: "non-json" }, kind: "invalid_answer", requestsPerMessage: UNDERSTAND_MAX_STEPS, error: /no valid final answer/ },
  { fault: { kind: "empty-choice" }, kind: "invalid_answer", requestsPerMessage: UNDERSTAND_MAX_STEPS, error: /no valid final answer/ },
];

describe("the chat agent when the LLM server fails mid-conversation (real PostgreSQL, local test LLM server)", () => {
  let testDb: TestDb;
  let server: TestLlmServer | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    process.on("unhandledRejection", onUnhandled);
  });
  afterAll(async () => {
    process.off("unhandledRejection", onUnhandled);
    await testDb.drop();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  for (const c of CASES) {
    it(`${c.fault.kind}: the first request is understood by the model, the next two offline, each audited with why`, async () => {
      const srv = await startTestLlmServer({
        responder: jsonResponder(() => ({ intent: "help", params: {} })),
        faults: [{ from: 1, fault: c.fault }],
      });
      server = srv;
      const config = testConfig({ OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: srv.url, PULSE_LLM_TIMEOUT_MS: TIMEOUT_MS });
      const clock = new ManualClock(new Date("2026-01-07T12:00:00Z"));
      const agent = await createChatAgent({
        db: testDb.db,
        audit: createAuditLog(testDb.db, clock),
        clock,
        llm: createLlmClientFromConfig(config)!,
        openCycles: () => Promise.reject(new Error("these requests need no cycle")),
      });
      const threadId = `t-${c.fault.kind}`;
      const replies = [];
      for (const text of ["what can you do?", "pause all SMS until Monday", "resume email"])
        replies.push(await agent.handle({ text, actor: ann, threadId, via: "cli" }));

      expect(replies.map((r) => r.understoodBy)).toEqual(["llm", "offline", "offline"]);
      // The offline understanding did its job: the requests were understood, not dropped.
      expect(replies.map((r) => r.intent)).toEqual(["help", "pause", "resume"]);
      // Bounded: each failed message made exactly its retries (or re-asks), no more.
      const chats = srv.requests.filter((r) => r.body);
      expect(chats.length).toBe(c.kind === "down" ? 2 : 1 + 2 * c.requestsPerMessage);

      const { rows } = await testDb.db.pool.query<{ entry: Record<string, unknown> }>(
        "SELECT entry FROM audit_log WHERE kind = 'chat' AND entry->>'threadId' = $1 ORDER BY seq",
        [threadId],
      );
      expect(rows.map((r) => [r.entry.understoodBy, r.entry.fallback ?? null])).toEqual([
        ["llm", null],
        ["offline", c.kind],
        ["offline", c.kind],
      ]);
      for (const r of rows.slice(1)) expect(String(r.entry.fallbackReason)).toMatch(c.error);
      expect(unhandled).toEqual([]);
    }, 60_000);
  }
});
