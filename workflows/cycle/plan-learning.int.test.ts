import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSimulatorConnector } from "../../connectors/simulator.js";
import { ManualClock } from "../../core/clock.js";
import { readoutsUpTo } from "../../store/evidence-repo.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { isQuietHour } from "../../tools/send-time.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../demo.js";
import { createCycleRuntime } from "../runtime.js";
import { activateShard } from "./activation-shard.js";
import { auditEntries, RecordingRunner, testConfig } from "./testing/cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "./testing/simulated-world.js";

const localHour = (t: Date, tz: string) =>
  Number(new Intl.DateTimeFormat("en-US", { timeZone: tz, hour: "numeric", hourCycle: "h23" }).format(t));

describe("planning learns between cycles (postgres)", () => {
  let testDb: TestDb;
  let sim: SimulatedWorld;

  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    sim = await loadSimulatedWorld(testDb.db, { customers: 600, seed: 12, months: 6 });
  }, 120_000);

  afterAll(async () => {
    await sim?.cleanup();
    await testDb?.drop();
  }, 60_000);

  it("records each send's propensity and own send time, then the next plan accumulates the measured readouts", async () => {
    const db = testDb.db;
    const runner = new RecordingRunner();
    const clock = new ManualClock(sim.asOf);
    const { service, deps } = await createCycleRuntime(testConfig(), {
      db,
      runner,
      clock,
      connector: createSimulatorConnector(),
      actor: "pulse",
    });
    await setDemoPolicy(db, clock);
    const settings = { ...DEMO_SETTINGS, minLearnArm: 10 };
    const first = await service.start({ requestedBy: "scheduler", asOf: sim.asOf, settings });
    expect(first.waiting?.kind).toBe("attribution_window");
    const plan = first.state.plan!;
    // Campaigns per channel × offer depth, and the plan says where each segment's uplift came from.
    expect(plan.segments.some((s) => (s.campaigns?.length ?? 0) > 0)).toBe(true);
    expect(plan.segments.every((s) => s.upliftSource.length > 0)).toBe(true);
    for (const s of plan.segments) if (s.contacts > 0) expect(s.upliftSource).toMatch(/prior/);

    // Activation: every message carries the propensity its target was drawn with, and the target's own send time.
    for (const j of runner.jobs.filter((x) => x.queue === "activation")) await activateShard(deps, j.data as never);
    const { rows } = await db.pool.query(
      `SELECT m.propensity AS sent_propensity, t.propensity, t.planned_at, (m.content->>'plannedAt') AS planned, c.timezone, t.offer_depth, m.offer_depth AS sent_depth
       FROM messages m JOIN cycle_targets t ON t.cycle_id = m.cycle_id AND t.customer_id = m.customer_id JOIN customers c ON c.customer_id = m.customer_id
       WHERE m.cycle_id = $1`,
      [first.cycleId],
    );
    expect(rows.length).toBeGreaterThan(20);
    for (const r of rows) {
      expect(r.sent_propensity).toBeGreaterThan(0);
      expect(r.sent_propensity).toBeLessThanOrEqual(1);
      expect(r.sent_propensity).toBe(r.propensity);
      expect(new Date(r.planned).getTime()).toBe(new Date(r.planned_at).getTime());
      expect(isQuietHour(localHour(new Date(r.planned), r.timezone), { start: "21:00", end: "08:00" })).toBe(false);
      expect(Number(r.sent_depth)).toBe(Number(r.offer_depth));
    }
    expect(new Set(rows.map((r) => localHour(new Date(r.planned), r.timezone))).size).toBeGreaterThan(1);

    // The window closes: learn records the readouts; the next plan accumulates them.
    clock.set(new Date(first.state.activation!.measureAt).getTime() + 1000);
    expect((await service.closeWindow(first.cycleId)).state.status).toBe("done");
    const readouts = await readoutsUpTo(db, clock.now());
    expect(readouts.length).toBeGreaterThan(0);
    expect(readouts.reduce((n, r) => n + r.treated, 0)).toBeGreaterThan(0);
    expect(
      (await auditEntries(db, first.cycleId, ["tool_call"])).some((e) => (e.entry as { tool: string }).tool === "uplift_evidence"),
    ).toBe(true);
    const second = await service.start({ requestedBy: "scheduler", asOf: clock.now(), settings });
    const options = (await auditEntries(db, second.cycleId, ["tool_call"])).find(
      (e) => (e.entry as { tool: string }).tool === "plan_options",
    );
    expect((options!.entry as { summary: string }).summary).toContain(`from ${readouts.length} accumulated holdout readouts`);
  }, 240_000);
});
