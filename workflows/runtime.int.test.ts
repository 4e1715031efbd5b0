import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { FileOutboxConnector } from "../connectors/file-outbox.js";
import { ManualClock } from "../core/clock.js";
import { createTestDb } from "../store/test-db.js";
import { testConfig, sentCount } from "./cycle/testing/cycle-test-kit.js";
import { useSimulatedWorld } from "./cycle/testing/world-fixture.js";
import { DEMO_SETTINGS, setDemoPolicy } from "./demo.js";
import { BullmqRunner } from "./jobs/bullmq-runner.js";
import { RunnerClosedError } from "./jobs/job-errors.js";
import { createTestRedis, type TestRedis } from "./jobs/test-redis.js";
import { createCycleRuntime, type CycleRuntime } from "./runtime.js";

const DAY = 86_400_000;

describe("createCycleRuntime", () => {
  const world = useSimulatedWorld({ customers: 400, seed: 91 });

  /** A runtime on the world's database; spies on the memo so a test can tell it was filled before it was released. */
  async function runtimeOn(options: { redis?: TestRedis } = {}) {
    const clock = new ManualClock(world.sim.asOf);
    const config = testConfig(
      options.redis ? { REDIS_URL: options.redis.url, PULSE_QUEUE_PREFIX: options.redis.prefix } : { REDIS_URL: undefined },
    );
    const runtime = await createCycleRuntime(config, {
      db: world.db,
      clock,
      connector: new FileOutboxConnector({ path: path.join(world.outDir, `outbox-${Math.random().toString(36).slice(2)}.jsonl`) }),
    });
    const kept = vi.spyOn(runtime.deps.memo, "keep");
    return { runtime, clock, kept };
  }

  it("without REDIS_URL runs jobs in this process: drain sends and measures, and no cycle's data stays in memory", async () => {
    const { runtime, clock, kept } = await runtimeOn();
    try {
      expect(runtime.runner.kind).toBe("in-process");
      expect(runtime.inProcess).toBe(runtime.runner);
      await setDemoPolicy(world.db);
      const started = await runtime.service.start({ requestedBy: "ann", asOf: world.sim.asOf, settings: DEMO_SETTINGS });
      expect(started.waiting?.kind).toBe("attribution_window");
      // Refresh computed the cycle's data and plan read it; once the graph waits, it is released.
      expect(kept).toHaveBeenCalledWith(started.cycleId, expect.anything());
      expect(runtime.deps.memo.size).toBe(0);

      clock.set(world.sim.asOf.getTime() + 2 * DAY + 3_600_000);
      const sends = await runtime.drain();
      expect(sends.failed).toBe(0);
      expect(sends.completed).toBeGreaterThan(started.state.activation!.shards);
      expect(sends.pending).toBe(1); // the measurement, due when the window closes
      expect(await sentCount(world.db, started.cycleId)).toBe(started.state.activation!.treated);

      clock.set(new Date(started.state.activation!.measureAt).getTime() + 1_000);
      expect(await runtime.drain()).toMatchObject({ failed: 0, pending: 0 });
      const done = await runtime.service.get(started.cycleId);
      expect(done.state.measurement).toBeDefined();
      expect(done.waiting).toBeNull();
      expect(runtime.deps.memo.size).toBe(0);
    } finally {
      await runtime.close();
    }
  }, 120_000);

  it("releases the cycle's data when the cycle waits for a human and when it is rejected", async () => {
    const { runtime, kept } = await runtimeOn();
    try {
      // Whatever guardrail policy an earlier test put in force, this brief restores the default approval tiers.
      const started = await runtime.service.start({
        requestedBy: "ann",
        asOf: world.sim.asOf,
        settings: { approvalPolicy: { maxAutoAudience: 50_000, newContentNeedsHuman: true, flaggedCheckNeedsHuman: true } },
      });
      expect(started.waiting?.kind).toBe("approval");
      expect(kept).toHaveBeenCalledWith(started.cycleId, expect.anything());
      expect(runtime.deps.memo.size).toBe(0);
      const rejected = await runtime.service.decide(started.cycleId, { decision: "rejected", by: "bob", reason: "not this week" });
      expect(rejected.state.approval).toMatchObject({ decision: "rejected", by: "bob" });
      expect(runtime.deps.memo.size).toBe(0);
    } finally {
      await runtime.close();
    }
  }, 120_000);

  describe("with REDIS_URL", () => {
    let redis: TestRedis | undefined;
    beforeAll(async () => {
      redis = await createTestRedis();
    });
    afterAll(async () => {
      await redis?.cleanup();
    });

    it("enqueues on BullMQ for `pulse worker` (drain is a no-op) and closes the runner it opened", async () => {
      const { runtime } = await runtimeOn({ redis });
      let closed = false;
      try {
        expect(runtime.runner).toBeInstanceOf(BullmqRunner);
        expect(runtime.inProcess).toBeUndefined();
        await setDemoPolicy(world.db);
        const started = await runtime.service.start({ requestedBy: "ann", asOf: world.sim.asOf, settings: DEMO_SETTINGS });
        expect(started.waiting?.kind).toBe("attribution_window");
        const counts = await (runtime.runner as BullmqRunner).queue("activation").getJobCounts("waiting");
        expect(counts.waiting).toBe(started.state.activation!.shards);
        expect(await runtime.drain()).toEqual({ completed: 0, failed: 0, pending: 0 });
        expect(runtime.deps.memo.size).toBe(0);
        await runtime.close();
        closed = true;
        await expect(
          runtime.runner.enqueue("measure", { cycleId: started.cycleId, windowEndsAt: new Date().toISOString() }),
        ).rejects.toBeInstanceOf(RunnerClosedError);
      } finally {
        if (!closed) await runtime.close();
      }
    }, 120_000);
  });
});

describe("createCycleRuntime without a database given", () => {
  it("opens the configured database and closes it on close(), leaving a caller's database open", async () => {
    const testDb = await createTestDb("postgres");
    const dataDir = await mkdtemp(path.join(tmpdir(), "pulse-runtime-"));
    try {
      const config = testConfig({
        DATABASE_URL: testConfig().PULSE_TEST_DATABASE_URL,
        PULSE_DB_SCHEMA: testDb.db.schema,
        PULSE_DATA_DIR: dataDir,
        REDIS_URL: undefined,
      });
      const owned: CycleRuntime = await createCycleRuntime(config);
      expect(owned.db).not.toBe(testDb.db);
      expect(owned.db.schema).toBe(testDb.db.schema);
      await owned.close();
      await expect(owned.db.pool.query("SELECT 1")).rejects.toThrow();

      const borrowed = await createCycleRuntime(config, { db: testDb.db });
      await borrowed.close();
      expect((await testDb.db.pool.query<{ n: number }>("SELECT 1 AS n")).rows[0]!.n).toBe(1);
    } finally {
      await testDb.drop();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
