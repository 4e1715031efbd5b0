/**
 * Test child process: the cycle's real activation and send processors on BullMQ workers, delivering
 * to a JSONL file outbox through a connector slowed down so the parent can kill it mid-run. One job
 * at a time per queue; a short lock and stalled check so a killed worker's job is taken over within
 * seconds. Prints `ready` once polling, `closed` after a graceful shutdown (SIGTERM).
 * Usage: node --import tsx send-worker-process.ts '<json options>' (see optionsSchema).
 */
import { z } from "zod";
import { FileOutboxConnector } from "../../../connectors/file-outbox.js";
import { ManualClock } from "../../../core/clock.js";
import { openDb } from "../../../store/db.js";
import { BullmqRunner } from "../../jobs/bullmq-runner.js";
import { createRedisConnection } from "../../jobs/redis-connection.js";
import { createCycleRuntime } from "../../runtime.js";
import { SlowConnector, testConfig } from "./cycle-test-kit.js";
import { serveTestWorkers } from "./worker-process.js";

const optionsSchema = z.object({
  databaseUrl: z.string(),
  schema: z.string(),
  redisUrl: z.string(),
  prefix: z.string(),
  outbox: z.string(),
  /** The worker's clock (ISO); fixed, so every send is due. */
  now: z.string(),
  delayBeforeMs: z.number().default(5),
  delayAfterMs: z.number().default(15),
  lockDurationMs: z.number().default(2_000),
  stalledIntervalMs: z.number().default(1_000),
});

async function run(): Promise<void> {
  const options = optionsSchema.parse(JSON.parse(process.argv[2] ?? "{}"));
  const db = await openDb({ databaseUrl: options.databaseUrl, dataDir: "", schema: options.schema, migrate: false });
  const connection = createRedisConnection(options.redisUrl, { name: "pulse-test-send-worker" });
  const runner = new BullmqRunner({ connection, prefix: options.prefix });
  const connector = new SlowConnector(new FileOutboxConnector({ path: options.outbox }), {
    beforeMs: options.delayBeforeMs,
    afterMs: options.delayAfterMs,
  });
  const { processors } = await createCycleRuntime(testConfig(), { db, runner, clock: new ManualClock(options.now), connector });
  await serveTestWorkers({
    connection,
    prefix: options.prefix,
    processors,
    concurrency: 1,
    lockDurationMs: options.lockDurationMs,
    stalledIntervalMs: options.stalledIntervalMs,
    runner,
    connector,
    db,
  });
}

run().catch((err: unknown) => {
  process.stderr.write(`send worker failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
