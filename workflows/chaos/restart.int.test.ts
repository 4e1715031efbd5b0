import { randomBytes } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { openDb, type Db } from "../../store/db.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { jobCounts } from "../cycle/testing/cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "../cycle/testing/simulated-world.js";
import { BullmqRunner } from "../jobs/bullmq-runner.js";
import { closeRedisConnection, createRedisConnection } from "../jobs/redis-connection.js";
import { createTestRedis, type TestRedis } from "../jobs/test-redis.js";
import { SEND_QUEUES } from "../jobs/types.js";
import {
  exactlyOnceCounts,
  prepareCycle,
  progressOf,
  sleep,
  startWorker,
  sweptSends,
  type PreparedCycle,
  type Progress,
  type WorkerHandle,
} from "./chaos-kit.js";
import { startPrivatePostgres, startPrivateRedis, type PrivatePostgres, type PrivateRedis } from "./private-services.js";

/** Progress, or undefined while the database cannot be reached. */
const progressOrNot = (db: Db, cycleId: string) => progressOf(db, cycleId).catch(() => undefined);

async function waitFor(
  db: Db,
  cycle: PreparedCycle,
  done: (p: Progress) => boolean,
  what: string,
  worker: WorkerHandle,
  timeoutMs = 120_000,
) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const p = await progressOrNot(db, cycle.cycleId);
    if (p && done(p)) return p;
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what} (at ${JSON.stringify(p)})\nworker stderr:\n${worker.err.text}`);
    await sleep(20);
  }
}

const finished = (cycle: PreparedCycle) => (p: Progress) => p.created >= cycle.treated && p.done >= p.created;

describe("chaos: Redis and PostgreSQL restarted under a working cycle (private servers, child processes)", () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => {});
  }, 60_000);

  it("Redis stopped mid-activation and started again empty: the worker reconnects, the sweeper re-drives the lost jobs, every treated customer is sent once", async () => {
    const testDb: TestDb = await createTestDb("postgres");
    cleanups.push(() => testDb.drop());
    const outDir = await mkdtemp(path.join(tmpdir(), "pulse-chaos-redis-"));
    cleanups.push(() => rm(outDir, { recursive: true, force: true }));
    const sim: SimulatedWorld = await loadSimulatedWorld(testDb.db, { customers: 400, seed: 43, months: 6 });
    cleanups.push(() => sim.cleanup());
    const redis: PrivateRedis = await startPrivateRedis();
    cleanups.push(() => redis.stop());
    const connection = createRedisConnection(redis.url, { name: "pulse-chaos-test" });
    cleanups.push(() => closeRedisConnection(connection));
    const queue = { connection, prefix: `pulse-chaos-${randomBytes(4).toString("hex")}` };

    const cycle = await prepareCycle(testDb.db, sim.asOf, queue);
    expect(cycle.shards).toBeGreaterThan(2);
    const outbox = path.join(outDir, "outbox.jsonl");
    const worker = startWorker({
      databaseUrl: loadConfig().PULSE_TEST_DATABASE_URL,
      schema: testDb.db.schema,
      redisUrl: redis.url,
      prefix: queue.prefix,
      outbox,
      now: cycle.workerNow,
    });
    cleanups.push(async () => worker.child.kill("SIGKILL"));
    await worker.ready;

    // Mid-activation: some shards have made their messages, not all.
    const atStop = await waitFor(testDb.db, cycle, (p) => p.created > 0, "the first activation shard", worker);
    await redis.stop();
    expect(atStop.created).toBeLessThan(cycle.treated);
    await sleep(1_500);
    await redis.start();
    // Every job was lost with the server (no persistence): the activation jobs are not there any more.
    const emptied = new BullmqRunner(queue);
    const afterRestart = await jobCounts(emptied, ["activation"]);
    await emptied.close();
    expect(afterRestart.get("activation")!.completed + afterRestart.get("activation")!.failed).toBe(0);

    await waitFor(testDb.db, cycle, finished(cycle), "every treated customer to be sent after the restart", worker);
    expect(worker.child.exitCode).toBeNull(); // the same worker process carried on
    // BullMQ's workers resumed on the new server: send jobs the sweeper's re-activation enqueued ran there.
    const runner = new BullmqRunner(queue);
    const counts = await jobCounts(runner, [...SEND_QUEUES]);
    await runner.close();
    const completedAfter = [...counts.values()].reduce((n, c) => n + c.completed, 0);
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });

    const c = await exactlyOnceCounts(testDb.db, cycle, outbox);
    const swept = sweptSends([worker.out.text]);
    console.info(
      `chaos redis restart: stopped at ${atStop.created}/${cycle.treated} created; ${c.delivered} delivered, ${c.duplicates} duplicates, ${c.lost} lost, ` +
        `${c.holdoutContacted} holdout / ${c.globalControlContacted} global-control contacted; after the restart ${completedAfter} send jobs completed on the new server, ${swept} sent by the sweeper`,
    );
    expect(c).toMatchObject({ duplicates: 0, lost: 0, holdoutContacted: 0, globalControlContacted: 0 });
    expect(c.delivered + c.suppressed).toBe(c.treated);
    expect(c.sendEntries).toBe(c.delivered);
    expect(completedAfter + swept).toBeGreaterThan(0);
    expect(await verifyAuditLog(testDb.db)).toMatchObject({ ok: true });
  }, 240_000);

  it("PostgreSQL stopped mid-sending and started again: failed jobs retry, the sweeper picks up the rest, every treated customer is sent once", async () => {
    const server: PrivatePostgres = await startPrivatePostgres();
    cleanups.push(() => server.destroy());
    const schema = `t_${randomBytes(6).toString("hex")}`;
    const db = await openDb({ databaseUrl: server.url, dataDir: "", schema });
    cleanups.push(() => db.close());
    const outDir = await mkdtemp(path.join(tmpdir(), "pulse-chaos-pg-out-"));
    cleanups.push(() => rm(outDir, { recursive: true, force: true }));
    const sim = await loadSimulatedWorld(db, { customers: 400, seed: 47, months: 6 });
    cleanups.push(() => sim.cleanup());
    const redis: TestRedis = await createTestRedis();
    cleanups.push(() => redis.cleanup());

    const cycle = await prepareCycle(db, sim.asOf, redis);
    const outbox = path.join(outDir, "outbox.jsonl");
    const worker = startWorker({
      databaseUrl: server.url,
      schema,
      redisUrl: redis.url,
      prefix: redis.prefix,
      outbox,
      now: cycle.workerNow,
      // Slower sends, so the restart lands while they are under way.
      delayAfterMs: 40,
    });
    cleanups.push(async () => worker.child.kill("SIGKILL"));
    await worker.ready;

    const atStop = await waitFor(db, cycle, (p) => p.done >= 5, "the first sends", worker);
    await server.stop();
    await sleep(2_000);
    await server.start();
    await waitFor(db, cycle, finished(cycle), "every treated customer to be sent after the restart", worker);
    expect(worker.child.exitCode).toBeNull();
    worker.child.kill("SIGTERM");
    expect(await worker.exited).toEqual({ code: 0, signal: null });

    const c = await exactlyOnceCounts(db, cycle, outbox);
    console.info(
      `chaos postgres restart: stopped at ${atStop.done}/${cycle.treated} sent; ${c.delivered} delivered, ${c.duplicates} duplicates, ${c.lost} lost, ` +
        `${c.holdoutContacted} holdout / ${c.globalControlContacted} global-control contacted; ${sweptSends([worker.out.text])} sent by the sweeper`,
    );
    expect(atStop.done).toBeLessThan(cycle.treated);
    expect(c).toMatchObject({ duplicates: 0, lost: 0, holdoutContacted: 0, globalControlContacted: 0 });
    expect(c.delivered + c.suppressed).toBe(c.treated);
    expect(c.sendEntries).toBe(c.delivered);
    expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
  }, 240_000);
});
