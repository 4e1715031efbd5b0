import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSimulatorConnector } from "../../connectors/simulator.js";
import { ManualClock } from "../../core/clock.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../demo.js";
import { createCycleRuntime } from "../runtime.js";
import { activateShard } from "./activation-shard.js";
import { auditEntries, messagesOf, RecordingRunner, testConfig } from "./testing/cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "./testing/simulated-world.js";

describe("cross-sell copy names a product recommended per customer (real PostgreSQL)", () => {
  let testDb: TestDb;
  let sim: SimulatedWorld;
  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    sim = await loadSimulatedWorld(testDb.db, { customers: 400, seed: 43, months: 6 });
  }, 120_000);
  afterAll(async () => {
    await sim?.cleanup();
    await testDb?.drop();
  }, 60_000);

  it("every cross-sell message carries a SKU the customer has not bought (cancelled lines are no purchase), the copy that uses {{product}} shows it, and the choice is audited", async () => {
    const db = testDb.db;
    const runner = new RecordingRunner();
    const clock = new ManualClock(sim.asOf);
    const { deps, service } = await createCycleRuntime(testConfig(), { db, runner, clock, connector: createSimulatorConnector() });
    await setDemoPolicy(db);
    const { cycleId, state } = await service.start({
      requestedBy: "ann",
      asOf: sim.asOf,
      settings: { ...DEMO_SETTINGS, brief: { strategy: "cross_sell" } },
    });
    expect(state.status).toBe("activated");
    for (const job of runner.jobs.filter((j) => j.queue === "activation"))
      await activateShard(deps, job.data as Parameters<typeof activateShard>[1]);
    const messages = (await messagesOf(db, cycleId)).filter((m) => m.strategy === "cross_sell");
    expect(messages.length).toBeGreaterThan(10);

    const { rows } = await db.pool.query<{ customer_id: string; sku: string }>(
      "SELECT DISTINCT o.customer_id, l.sku FROM orders o JOIN order_lines l ON l.order_id = o.order_id WHERE l.sku IS NOT NULL AND l.status <> 'cancelled'",
    );
    const bought = new Set(rows.map((r) => `${r.customer_id}|${r.sku}`));
    let naming = 0;
    for (const m of messages) {
      const content = m.content as Record<string, string>;
      expect(content.productSku).toMatch(/^[A-Z]{3}-\d{3}$/);
      expect(bought.has(`${m.customer_id}|${content.productSku}`), `${m.customer_id} ${content.productSku}`).toBe(false);
      const text = Object.values(content).join(" ");
      if (m.variant_id?.endsWith(".7")) {
        expect(text).toContain(content.productSku);
        naming++;
      }
    }
    expect(naming).toBeGreaterThan(0);
    const tools = (await auditEntries(db, cycleId, ["tool_call"])).filter((e) => e.entry.tool === "recommend");
    expect(tools).toHaveLength(1);
    expect(String(tools[0]!.entry.summary)).toMatch(/^products for \d+ cross-sell contacts: \d+ from their own purchases/);
  }, 240_000);
});
