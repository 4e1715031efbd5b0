import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import { loadSimulatedWorld, type SimulatedWorld } from "../cycle/testing/simulated-world.js";
import { createTestRedis, type TestRedis } from "../jobs/test-redis.js";
import { killRun, type KillRunResult } from "./kill-run.js";

// The CI size of `npm run chaos`: 20 SIGKILLs over activation and sending in 2 runs.
const RUNS = 2;
const KILLS_PER_RUN = 10;

describe("chaos: the sending worker SIGKILLed at 20 random points (real PostgreSQL and Redis, child processes)", () => {
  let testDb: TestDb;
  let sim: SimulatedWorld;
  let outDir: string;
  const redises: TestRedis[] = [];

  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    outDir = await mkdtemp(path.join(tmpdir(), "pulse-chaos-kill-"));
    sim = await loadSimulatedWorld(testDb.db, { customers: 400, seed: 41, months: 6 });
  }, 120_000);

  afterAll(async () => {
    for (const r of redises) await r.cleanup();
    await sim?.cleanup();
    await testDb?.drop();
    if (outDir) await rm(outDir, { recursive: true, force: true });
  }, 60_000);

  it("no duplicate, no lost send, no holdout or global-control customer contacted", async () => {
    const results: KillRunResult[] = [];
    for (let run = 0; run < RUNS; run++) {
      const redis = await createTestRedis();
      redises.push(redis);
      results.push(
        await killRun({
          db: testDb.db,
          databaseUrl: loadConfig().PULSE_TEST_DATABASE_URL,
          redisUrl: redis.url,
          queue: redis,
          asOf: new Date(sim.asOf.getTime() - run * 86_400_000),
          outbox: path.join(outDir, `outbox-${run}.jsonl`),
          kills: KILLS_PER_RUN,
          seed: 1000 + run,
        }),
      );
    }
    const sum = (k: keyof KillRunResult) => results.reduce((n, r) => n + (r[k] as number), 0);
    console.info(
      `chaos kill (CI size): ${sum("kills")} kills (${sum("killsInActivation")} in activation, ${sum("killsInSending")} in sending), ` +
        `${sum("treated")} treated, ${sum("delivered")} delivered, ${sum("duplicates")} duplicates, ${sum("lost")} lost, ` +
        `${sum("holdoutContacted")} holdout and ${sum("globalControlContacted")} global-control contacted; ` +
        `${sum("stalledFailed")} jobs failed as stalled, ${sum("sweptSent")} sent by the sweeper`,
    );
    expect(sum("kills")).toBe(RUNS * KILLS_PER_RUN);
    for (const r of results) {
      expect(r.treated).toBeGreaterThan(20);
      expect(r.holdout + r.globalControl).toBeGreaterThan(0);
      expect(r).toMatchObject({ duplicates: 0, lost: 0, holdoutContacted: 0, globalControlContacted: 0 });
      expect(r.delivered + r.suppressed).toBe(r.treated);
      expect(r.sentRows).toBe(r.delivered);
      expect(r.sendEntries).toBe(r.delivered);
    }
    expect(sum("killsInActivation")).toBeGreaterThan(0);
    expect(sum("killsInSending")).toBeGreaterThan(0);
    expect(await verifyAuditLog(testDb.db)).toMatchObject({ ok: true });
  }, 300_000);
});
