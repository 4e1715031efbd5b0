import path from "node:path";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { FileOutboxConnector } from "../../connectors/file-outbox.js";
import { ManualClock } from "../../core/clock.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { startTestLlmServer, type Responder, type TestLlmServer, type TestLlmServerScript } from "../../evals/llm-test-server/server.js";
import { DEFAULT_MAX_REGENERATIONS } from "../../agents/copywriter/index.js";
import type { CycleState } from "./state.js";
import { agentOf, agentResponder, LLM_DESCRIPTION_PREFIX, requestText } from "./testing/agent-responder.js";
import { auditEntries, RecordingRunner, testConfig } from "./testing/cycle-test-kit.js";
import { useSimulatedWorld } from "./testing/world-fixture.js";
import { createCycleRuntime } from "../runtime.js";

const AGENTS = ["segmentation-analyst", "strategist", "copywriter"] as const;

describe("the cycle's agents on an OpenAI-compatible server (real PostgreSQL, local test LLM server)", () => {
  const world = useSimulatedWorld({ customers: 500, seed: 51 });
  let server: TestLlmServer | undefined;
  let pii: { ids: Set<string>; hashes: Set<string> };

  beforeAll(async () => {
    const { rows } = await world.db.pool.query<{ customer_id: string; email_hash: string | null; phone_hash: string | null }>(
      "SELECT customer_id, email_hash, phone_hash FROM customers",
    );
    pii = {
      ids: new Set(rows.map((r) => r.customer_id)),
      hashes: new Set(rows.flatMap((r) => [r.email_hash, r.phone_hash]).filter((h): h is string => !!h)),
    };
  });

  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  /** Runs refresh → plan → compose → review with the configured LLM client pointing at the test server. */
  async function runCycle(script: TestLlmServerScript): Promise<{ state: CycleState; cycleId: string; server: TestLlmServer }> {
    server = await startTestLlmServer(script);
    // Wired through configuration, as `pulse` does: the real openai client, its retries and repairs.
    const config = testConfig({
      OPENAI_API_KEY: "test-key",
      OPENAI_BASE_URL: server.url,
      PULSE_MODEL: "gpt-4o-mini",
      PULSE_LLM_TIMEOUT_MS: 20_000,
    });
    const { deps, service } = await createCycleRuntime(config, {
      db: world.db,
      runner: new RecordingRunner(),
      clock: new ManualClock(world.sim.asOf),
      connector: new FileOutboxConnector({ path: path.join(world.outDir, "outbox.jsonl") }),
    });
    expect(deps.makeLlm).toBeDefined();
    // The default policy wants a person for new content: the graph stops at the human gate, after compose.
    const { cycleId, state } = await service.start({ requestedBy: "ann", asOf: world.sim.asOf });
    expect(state.status).toBe("awaiting_approval");
    return { state, cycleId, server };
  }

  /** Nothing that identifies a customer left the process. */
  function expectNoCustomerData(srv: TestLlmServer): void {
    const chats = srv.requests.filter((r) => r.body);
    expect(chats.length).toBeGreaterThan(0);
    for (const r of chats) {
      const text = requestText(r.body!);
      const ids = [...text.matchAll(/\bC\d{6,}\b/g)].map((m) => m[0]).filter((id) => pii.ids.has(id));
      expect(ids, `customer ids in a ${agentOf(r.body!)} prompt`).toEqual([]);
      const hashes = [...text.matchAll(/\b[0-9a-f]{64}\b/g)].map((m) => m[0]).filter((h) => pii.hashes.has(h));
      expect(hashes, `contact hashes in a ${agentOf(r.body!)} prompt`).toEqual([]);
      expect(text).not.toMatch(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/);
    }
  }

  it("uses the model's answers for segments, plan and copy, and accounts for every call", async () => {
    const { state, cycleId, server: srv } = await runCycle({ responder: agentResponder() });

    for (const agent of AGENTS) expect(state.agents[agent], agent).toMatchObject({ source: "llm" });
    for (const agent of AGENTS) expect(state.agents[agent]!.fallbackReason, agent).toBeUndefined();
    expect(state.agents["segmentation-analyst"]!.prompt?.id).toBe("segmentation-analyst");
    expect(state.agents.strategist!.prompt?.id).toBe("strategist");
    expect(state.refresh!.segments.every((s) => s.description.startsWith(LLM_DESCRIPTION_PREFIX))).toBe(true);
    expect(state.plan!.segments.every((s) => s.reasons.some((r) => /listed option/.test(r)))).toBe(true);
    const campaigns = state.copy!.campaigns;
    expect(campaigns.length).toBeGreaterThan(0);
    for (const c of campaigns) {
      expect(c.source).toBe("llm");
      expect(c.variants.length).toBe(state.settings.variants);
      for (const v of c.variants) {
        expect(v.variantId).toMatch(/^llm\./);
        expect(v.prompt?.id).toBe("copywriter");
      }
    }

    // One call per agent task (no repairs, no retries): what the server answered is what was counted.
    const chats = srv.requests.filter((r) => r.body);
    const byAgent = (a: string) => chats.filter((r) => agentOf(r.body!) === a).length;
    expect(byAgent("segmentation-analyst")).toBe(1);
    expect(byAgent("strategist")).toBe(1);
    expect(byAgent("copywriter")).toBe(campaigns.length);
    expect(chats.every((r) => r.status === 200)).toBe(true);
    const usage = srv.usageTotals();
    expect(state.llm).toMatchObject({
      calls: chats.length,
      failures: 0,
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
    });
    expect(state.llm.costUsd).toBeGreaterThan(0);

    // Every call is in the audit log with its agent, prompt version and tokens.
    const calls = await auditEntries(world.db, cycleId, ["llm_call"]);
    expect(calls).toHaveLength(chats.length);
    expect(new Set(calls.map((c) => c.entry.agent))).toEqual(new Set(AGENTS));
    expect(calls.every((c) => c.entry.ok === true && c.entry.model === "gpt-4o-mini")).toBe(true);
    const tokens = calls.reduce(
      (t, c) => {
        const k = c.entry.tokens as { prompt: number; completion: number };
        return { prompt: t.prompt + k.prompt, completion: t.completion + k.completion };
      },
      { prompt: 0, completion: 0 },
    );
    expect(tokens).toEqual({ prompt: usage.prompt_tokens, completion: usage.completion_tokens });
    // The strategist's prompt lists every option of every segment: longer than the audit keeps, so clipped, not refused.
    const strategistPrompt = String(calls.find((c) => c.entry.agent === "strategist")!.entry.redactedPrompt);
    expect(strategistPrompt.length).toBeLessThanOrEqual(20_000);
    expect(await verifyAuditLog(world.db)).toMatchObject({ ok: true });

    expectNoCustomerData(srv);
  }, 120_000);

  it("regenerates copy that fails content QA a bounded number of times, then fills the slots from the library, and audits each verdict", async () => {
    // The copywriter keeps promising a discount nobody approved; the other agents answer well.
    const honest = agentResponder();
    const overpromising: Responder = async (request, index) => {
      const reply = await honest(request, index);
      if (agentOf(request) !== "copywriter" || reply.kind !== "json") return reply;
      const { variants } = reply.value as { variants: Record<string, string>[] };
      return {
        kind: "json",
        value: {
          variants: variants.map((v) =>
            Object.fromEntries(Object.entries(v).map(([k, text], i) => [k, i === 0 ? `${text} 90% off` : text])),
          ),
        },
      };
    };
    const { state, cycleId, server: srv } = await runCycle({ responder: overpromising });

    const campaigns = state.copy!.campaigns;
    expect(campaigns.length).toBeGreaterThan(0);
    for (const c of campaigns) {
      expect(c.variants.length, c.campaignId).toBe(state.settings.variants);
      expect(
        c.variants.every((v) => !v.variantId.startsWith("llm.")),
        c.campaignId,
      ).toBe(true);
    }
    // The first draft and each bounded regeneration were asked for, no more.
    const copyRequests = srv.requests.filter((r) => r.body && agentOf(r.body) === "copywriter");
    expect(copyRequests).toHaveLength(campaigns.length * (1 + DEFAULT_MAX_REGENERATIONS));

    // Every draft turned down is a failed content-QA verdict with its reasons; every slot filled from the library says so.
    const verdicts = await auditEntries(world.db, cycleId, ["guardrail_verdict"]);
    const drafts = verdicts.filter((v) => v.entry.check === "content_qa" && String(v.entry.subject).includes("model draft"));
    expect(drafts).toHaveLength(campaigns.length * state.settings.variants * (1 + DEFAULT_MAX_REGENERATIONS));
    expect(drafts.every((d) => d.entry.passed === false && (d.entry.reasons as string[]).some((r) => /90%/.test(r)))).toBe(true);
    const replacements = verdicts.filter((v) => v.entry.check === "copy_replacement");
    expect(replacements).toHaveLength(campaigns.length * state.settings.variants);
    for (const c of campaigns) {
      const mine = replacements.filter((r) => String(r.entry.subject).startsWith(`${c.campaignId} `));
      expect(new Set(mine.map((r) => (r.entry.details as { replacementId: string }).replacementId))).toEqual(
        new Set(c.variants.map((v) => v.variantId)),
      );
    }
    expect(await verifyAuditLog(world.db)).toMatchObject({ ok: true });
  }, 120_000);

  it("falls back to each agent's offline policy, and says why, when the model never answers in JSON", async () => {
    const {
      state,
      cycleId,
      server: srv,
    } = await runCycle({ responder: () => ({ kind: "content", content: "Sure! Here is my answer: {segments: [oops" }) });

    for (const agent of AGENTS) {
      expect(state.agents[agent], agent).toMatchObject({ source: "offline" });
      expect(state.agents[agent]!.fallbackReason, agent).toMatch(/no valid JSON answer/);
    }
    expect(state.refresh!.segments.some((s) => s.description.startsWith(LLM_DESCRIPTION_PREFIX))).toBe(false);
    const campaigns = state.copy!.campaigns;
    expect(campaigns.length).toBeGreaterThan(0);
    expect(
      campaigns.every((c) => c.source === "offline" && c.variants.length > 0 && c.variants.every((v) => !v.variantId.startsWith("llm."))),
    ).toBe(true);

    // Each call asked three times (two repairs), failed, and was counted and audited as a failure.
    const chats = srv.requests.filter((r) => r.body);
    const expectedCalls = 2 + campaigns.length;
    expect(chats).toHaveLength(expectedCalls * 3);
    const usage = srv.usageTotals();
    expect(state.llm).toMatchObject({
      calls: expectedCalls,
      failures: expectedCalls,
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
    });
    const calls = await auditEntries(world.db, cycleId, ["llm_call"]);
    expect(calls).toHaveLength(expectedCalls);
    expect(calls.every((c) => c.entry.ok === false && typeof c.entry.error === "string" && c.entry.attempts === 3)).toBe(true);
    expect(await verifyAuditLog(world.db)).toMatchObject({ ok: true });

    expectNoCustomerData(srv);
  }, 120_000);
});
