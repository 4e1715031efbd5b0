import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../core/config.js";
import { verifyAuditLog } from "../../../guardrails/audit-verify.js";
import { createTestDb, type TestDb } from "../../../store/test-db.js";
import { createTestRedis, type TestRedis } from "../../../workflows/jobs/test-redis.js";
import { scaleOutRun } from "../../../workflows/cycle/testing/scale-out-run.js";
import { loadSimulatedWorld, type SimulatedWorld } from "../../../workflows/cycle/testing/simulated-world.js";

const WORKERS = 3;

describe("pulse worker scales out: three processes on one Redis and one PostgreSQL share a cycle (real services, child processes)", () => {
  let testDb: TestDb;
  let redis: TestRedis;
  let sim: SimulatedWorld;
  let dataRoot: string;

  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    redis = await createTestRedis();
    dataRoot = await mkdtemp(path.join(tmpdir(), "pulse-scale-out-"));
    sim = await loadSimulatedWorld(testDb.db, { customers: 600, seed: 57, months: 6 });
  }, 120_000);

  afterAll(async () => {
    await redis?.cleanup();
    await sim?.cleanup();
    await testDb?.drop();
    if (dataRoot) await rm(dataRoot, { recursive: true, force: true });
  }, 60_000);

  it("every treated customer's message is sent exactly once, nobody held out is contacted, and more than one worker did the work", async () => {
    const r = await scaleOutRun({
      db: testDb.db,
      databaseUrl: loadConfig().PULSE_TEST_DATABASE_URL,
      redisUrl: redis.url,
      queue: redis,
      asOf: sim.asOf,
      workers: WORKERS,
      dataRoot,
      shardSize: 20,
      timeoutMs: 120_000,
    });
    const c = r.counts;
    console.info(
      `scale-out: ${c.treated} treated in ${r.cycle.shards} shards over ${WORKERS} workers in ${r.seconds.toFixed(1)} s; ` +
        `shards per worker ${JSON.stringify([...r.shardsByWorker.values()])}, sends per worker ${JSON.stringify([...r.sendsByWorker.values()])}, ` +
        `outbox lines per worker ${JSON.stringify(r.outboxLinesByWorker)}`,
    );
    expect(r.exits).toEqual(Array.from({ length: WORKERS }, () => ({ code: 0, signal: null })));

    // Exactly once over all workers' outboxes, the message rows and the audit log.
    expect(c.treated).toBeGreaterThan(40);
    expect(c.holdout + c.globalControl).toBeGreaterThan(0);
    expect(c).toMatchObject({ duplicates: 0, lost: 0, holdoutContacted: 0, globalControlContacted: 0 });
    expect(c.delivered + c.suppressed).toBe(c.treated);
    expect(c.outboxLines).toBe(c.delivered);
    expect(c.sentRows).toBe(c.delivered);
    expect(c.sendEntries).toBe(c.delivered);

    // The work was shared: every job ran on one of the fleet's processes, and more than one took shards and sends.
    const names = new Set(r.workerNames);
    expect(names.size).toBe(WORKERS);
    for (const byWorker of [r.shardsByWorker, r.sendsByWorker]) expect([...byWorker.keys()].every((n) => names.has(n))).toBe(true);
    expect([...r.shardsByWorker.values()].reduce((a, b) => a + b, 0)).toBe(r.cycle.shards);
    expect([...r.sendsByWorker.values()].reduce((a, b) => a + b, 0)).toBe(c.treated);
    expect(r.shardsByWorker.size).toBeGreaterThan(1);
    expect(r.sendsByWorker.size).toBeGreaterThan(1);
    // Each process's own outbox holds what its send jobs delivered.
    expect(r.outboxLinesByWorker.filter((n) => n > 0).length).toBeGreaterThan(1);
    expect(r.outboxLinesByWorker.reduce((a, b) => a + b, 0)).toBe(c.delivered);
    expect(await verifyAuditLog(testDb.db)).toMatchObject({ ok: true });
  }, 240_000);
});
