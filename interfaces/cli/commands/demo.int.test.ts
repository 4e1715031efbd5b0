import { afterEach, describe, expect, it } from "vitest";
import { startTestLlmServer, type TestLlmServer } from "../../../evals/llm-test-server/server.js";
import { createTestDb, type TestDb } from "../../../store/test-db.js";
import { agentResponder } from "../../../workflows/cycle/testing/agent-responder.js";
import { testConfig } from "../../../workflows/cycle/testing/cycle-test-kit.js";
import { runDemo, type DemoReport } from "../../../workflows/demo.js";
import { renderDemo } from "./demo.js";

const AGENTS = ["segmentation-analyst", "strategist", "copywriter", "measurement-analyst"];

/** What every demo run must show, LLM or not: the loop closed, and its numbers agree with each other. */
async function expectWholeLoop(t: TestDb, r: DemoReport, customers: number): Promise<void> {
  expect(r.loads.map((l) => l.kind)).toEqual(["customers", "consents", "orders", "events", "responses"]);
  for (const l of r.loads) expect(l, l.kind).toMatchObject({ quarantined: 0, inserted: l.rowsRead });
  expect(r.loads[0]!.rowsRead).toBe(customers);
  expect(r.state.status).toBe("done");

  const segments = r.state.refresh!.segments;
  expect(segments.length).toBeGreaterThanOrEqual(2);
  expect(segments.reduce((n, s) => n + s.size, 0)).toBe(customers);
  expect(segments.every((s) => s.name.length > 0)).toBe(true);
  // Everyone considered is either a planned contact or skipped with a reason.
  expect(r.targets.reduce((n, t) => n + t.customers, 0)).toBe(customers);
  expect(r.targets.filter((t) => t.decision === "skip").every((t) => t.code.length > 0)).toBe(true);

  // Every treated customer got exactly one message, and a sample of each channel used is shown.
  const activation = r.state.activation!;
  expect(activation.treated).toBeGreaterThan(0);
  expect(activation.holdout).toBeGreaterThan(0);
  const sent = r.messages.filter((m) => m.status === "sent");
  expect(sent.reduce((n, m) => n + m.n, 0)).toBe(activation.treated);
  expect(r.samples.map((s) => s.channel).sort()).toEqual(sent.map((m) => m.channel).sort());

  // The readout covers the campaigns against their holdouts; the world's response came back through ingestion.
  const all = (r.state.measurement!.groups as { group: string; treatedCount: number; holdoutCount: number }[]).find(
    (g) => g.group === "all campaigns",
  )!;
  expect(all).toMatchObject({ treatedCount: activation.treated, holdoutCount: activation.holdout });
  expect(r.stepLoads.find((l) => l.kind === "orders")!.inserted).toBeGreaterThan(0);
  expect(r.audit).toMatchObject({ ok: true });
  expect(r.audit.entries).toBeGreaterThan(customers);
  // The per-customer entries are stored as sets: far fewer rows than entries.
  expect(r.audit.rows).toBeLessThan(r.audit.entries / 2);

  // The customers it suggests looking up are one who got a message and one who did not, with the reason.
  expect(r.examples.sent).toMatch(/\S/);
  expect(r.examples.skipped).toMatchObject({ customerId: expect.stringMatching(/\S/), code: expect.stringMatching(/^[a-z_]+$/) });
  expect(r.targets.some((t) => t.decision === "skip" && t.code === r.examples.skipped!.code)).toBe(true);
  const statusOf = async (customerId: string) =>
    (
      await t.db.pool.query<{ status: string }>("SELECT status FROM messages WHERE cycle_id = $1 AND customer_id = $2", [
        r.cycleId,
        customerId,
      ])
    ).rows.map((m) => m.status);
  expect(await statusOf(r.examples.sent!)).toEqual(["sent"]);
  expect(await statusOf(r.examples.skipped!.customerId)).toEqual([]);

  const text = renderDemo(r, "PULSE_DATA_DIR=.pulse/demo");
  expect(text).toContain(`PULSE_DATA_DIR=.pulse/demo npx pulse audit why ${r.examples.sent}`);
  expect(text).toContain(`PULSE_DATA_DIR=.pulse/demo npx pulse cycle status ${r.cycleId}`);
  expect(text).toContain("PULSE_DATA_DIR=.pulse/demo npx pulse token create --role admin --name me");
  expect(text).toContain("PULSE_DATA_DIR=.pulse/demo npx pulse serve --port 8080");
  expect(renderDemo(r)).not.toContain("npx pulse audit why");
  expect(text).toContain(`considered ${customers}`);
  expect(text).toContain("auto-approved by the demo's policy");
  expect(text).toMatch(/Lift against the holdouts/);
  expect(text).toContain(`audit verify: OK (${r.audit.entries} entries in ${r.audit.rows} rows)`);
}

describe("the demo: a simulated retailer through the whole loop on the embedded database", () => {
  let db: TestDb | undefined;
  let server: TestLlmServer | undefined;

  afterEach(async () => {
    await server?.close();
    server = undefined;
    await db?.drop();
    db = undefined;
  });

  it("runs offline without a key, and says every agent ran its offline policy", async () => {
    db = await createTestDb("pglite");
    const r = await runDemo({ db: db.db, config: testConfig(), customers: 1_500, seed: 5 });
    await expectWholeLoop(db, r, 1_500);
    expect(r.llm).toMatchObject({ mode: "offline", calls: 0, promptTokens: 0, completionTokens: 0 });
    for (const agent of AGENTS) expect(r.state.agents[agent], agent).toMatchObject({ source: "offline" });
    expect(renderDemo(r)).toContain("none: no OPENAI_API_KEY, every agent ran its offline policy");
  }, 180_000);

  it("with a key, every agent asks the configured OpenAI-compatible server, and the report accounts for each call", async () => {
    server = await startTestLlmServer({ responder: agentResponder() });
    db = await createTestDb("pglite");
    const config = testConfig({ OPENAI_API_KEY: "test-key", OPENAI_BASE_URL: server.url, PULSE_MODEL: "gpt-4o-mini" });
    const r = await runDemo({ db: db.db, config, customers: 1_500, seed: 5 });
    await expectWholeLoop(db, r, 1_500);
    for (const agent of AGENTS) expect(r.state.agents[agent], agent).toMatchObject({ source: "llm" });
    const chats = server.requests.filter((q) => q.body);
    const usage = server.usageTotals();
    expect(r.llm).toMatchObject({
      mode: "llm",
      calls: chats.length,
      promptTokens: usage.prompt_tokens,
      completionTokens: usage.completion_tokens,
    });
    // Calls grow with segments and channels, never with customers: the analysts once each, the copywriter once per campaign.
    expect(chats.length).toBe(3 + r.state.copy!.campaigns.length);
    expect(r.llm.costUsd).toBeGreaterThan(0);
    expect(renderDemo(r)).toContain(`${chats.length} calls, ${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion tokens`);
  }, 180_000);
});
