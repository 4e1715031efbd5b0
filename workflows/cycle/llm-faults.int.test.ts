import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MAX_REPAIRS, DEFAULT_MAX_RETRIES } from "../../agents/llm/openai-client.js";
import { FileOutboxConnector } from "../../connectors/file-outbox.js";
import { DEFAULT_LLM_CONCURRENCY } from "../../core/config.js";
import { ManualClock } from "../../core/clock.js";
import { startTestLlmServer, type ServerFault, type TestLlmServer } from "../../evals/llm-test-server/server.js";
import type { LlmFallbackKind } from "../../guardrails/audit-entries.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { createCycleRuntime } from "../runtime.js";
import { agentResponder } from "./testing/agent-responder.js";
import { auditEntries, RecordingRunner, testConfig } from "./testing/cycle-test-kit.js";
import { useSimulatedWorld } from "./testing/world-fixture.js";

/** Per-attempt timeout of the slow case: the slow server answers well after it. */
const TIMEOUT_MS = 800;
/** Per-attempt timeout of the other cases, whose answers come at once: room for a loaded machine. */
const ROOMY_TIMEOUT_MS = 20_000;
/** The segmentation analyst's call (request 0) is answered; the fault starts with the strategist's (request 1). */
const FAULT_FROM = 1;

interface Case {
  name: string;
  fault: ServerFault;
  kind: LlmFallbackKind;
  /** Requests one failed call makes (retries for transport faults, re-asks for nonsense). */
  attempts: number;
  timeoutMs?: number;
  error: RegExp;
}

const CASES: Case[] = [
  { name: "down", fault: { kind: "down" }, kind: "down", attempts: 1 + DEFAULT_MAX_RETRIES, error: /connection error/i },
  {
    name: "slow",
    fault: { kind: "slow", delayMs: TIMEOUT_MS * 4 },
    kind: "timeout",
    attempts: 1 + DEFAULT_MAX_RETRIES,
    timeoutMs: TIMEOUT_MS,
    error: /timed out after 800 ms/,
  },
  {
    name: "answering prose",
    fault: { kind: "non-json" },
    kind: "invalid_answer",
    attempts: 1 + DEFAULT_MAX_REPAIRS,
    error: /no valid JSON/,
  },
  {
    name: "answering JSON of the wrong shape",
    fault: { kind: "wrong-shape" },
    kind: "invalid_answer",
    attempts: 1 + DEFAULT_MAX_REPAIRS,
    error: /no valid JSON/,
  },
  {
    name: "answering with no choice",
    fault: { kind: "empty-choice" },
    kind: "invalid_answer",
    attempts: 1 + DEFAULT_MAX_REPAIRS,
    error: /no valid JSON/,
  },
];

describe("the LLM server fails mid-cycle (real PostgreSQL, local test LLM server): the offline policy takes over, with the reason audited", () => {
  const world = useSimulatedWorld({ customers: 400, seed: 61 });
  let server: TestLlmServer | undefined;
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);

  beforeAll(() => {
    process.on("unhandledRejection", onUnhandled);
  });
  afterAll(() => {
    process.off("unhandledRejection", onUnhandled);
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });

  for (const c of CASES) {
    it(`the server ${c.name} from the strategist on: the cycle completes on the offline policy, each step audited with why`, async () => {
      const srv = await startTestLlmServer({ responder: agentResponder(), faults: [{ from: FAULT_FROM, fault: c.fault }] });
      server = srv;
      const config = testConfig({
        OPENAI_API_KEY: "test-key",
        OPENAI_BASE_URL: srv.url,
        PULSE_MODEL: "gpt-4o-mini",
        PULSE_LLM_TIMEOUT_MS: c.timeoutMs ?? ROOMY_TIMEOUT_MS,
      });
      const clock = new ManualClock(world.sim.asOf);
      const { service } = await createCycleRuntime(config, {
        db: world.db,
        runner: new RecordingRunner(),
        clock,
        connector: new FileOutboxConnector({ path: path.join(world.outDir, `outbox-${c.fault.kind}.jsonl`) }),
      });

      // The whole cycle: refresh → plan → compose → review, approval, activation, then measure and learn.
      const { cycleId, state: started } = await service.start({ requestedBy: "ann", asOf: world.sim.asOf });
      expect(started.status).toBe("awaiting_approval");
      const activated = await service.decide(cycleId, { decision: "approved", by: "bob" });
      expect(activated.state.status).toBe("activated");
      clock.set(new Date(activated.state.activation!.measureAt).getTime() + 1_000);
      const { state } = await service.closeWindow(cycleId);
      expect(state.status).toBe("done");

      // The segmentation analyst was answered before the fault; every agent after it ran its offline policy.
      expect(state.agents["segmentation-analyst"]).toMatchObject({ source: "llm" });
      for (const agent of ["strategist", "copywriter", "measurement-analyst"])
        expect(state.agents[agent], agent).toMatchObject({ source: "offline" });
      const campaigns = state.copy!.campaigns;
      expect(campaigns.length).toBeGreaterThan(0);
      expect(campaigns.every((k) => k.source === "offline" && k.variants.length > 0)).toBe(true);

      // Every LLM call after the fault failed, was audited with its error, and made exactly the bounded number of attempts.
      const calls = await auditEntries(world.db, cycleId, ["llm_call"]);
      const [first, ...failed] = calls;
      expect(first!.entry).toMatchObject({ agent: "segmentation-analyst", ok: true, attempts: 1 });
      expect(failed.length).toBe(2 + campaigns.length); // strategist, one per campaign, measurement analyst
      for (const f of failed) {
        expect(f.entry, String(f.entry.agent)).toMatchObject({ ok: false, attempts: c.attempts });
        expect(String(f.entry.error)).toMatch(c.error);
      }
      // What reached the server: nothing after it went down; otherwise every attempt, no more.
      const chats = srv.requests.filter((r) => r.body);
      expect(chats.length).toBe(c.kind === "down" ? FAULT_FROM + 1 : FAULT_FROM + failed.length * c.attempts);
      expect(chats.slice(FAULT_FROM).every((r) => r.fault === c.fault.kind)).toBe(true);

      // Each failed step has its decision entry: the offline policy ran, and why (the class and the error).
      const decisions = await auditEntries(world.db, cycleId, ["agent_decision"]);
      const offline = decisions.filter((d) => d.entry.source === "offline");
      expect(decisions.filter((d) => d.entry.source === "llm").map((d) => d.entry.agent)).toEqual(["segmentation-analyst"]);
      const count = (rows: typeof calls, agent: string) => rows.filter((r) => r.entry.agent === agent).length;
      for (const agent of ["strategist", "copywriter", "measurement-analyst"])
        expect(count(offline, agent), agent).toBe(count(failed, agent));
      for (const d of offline) {
        expect(d.entry.fallback, String(d.entry.subject)).toBe(c.kind);
        expect(String(d.entry.fallbackReason)).toMatch(c.error);
      }
      expect(count(offline, "copywriter")).toBe(campaigns.length);
      // The copywriter's calls go out together (the slow server holds each open), never more at once than PULSE_LLM_CONCURRENCY (its default here).
      if (c.kind === "timeout" && campaigns.length > 1) {
        expect(srv.maxInFlight()).toBeGreaterThan(1);
        expect(srv.maxInFlight()).toBeLessThanOrEqual(DEFAULT_LLM_CONCURRENCY);
      }

      expect(await verifyAuditLog(world.db)).toMatchObject({ ok: true });
      expect(unhandled).toEqual([]);
      // A campaign per segment × channel × offer depth the plan gave out: with a slow server each batch
      // of four waits out its bounded attempts, so the budget grows with campaigns (never customers).
    }, 240_000);
  }
});
