/**
 * What the test worker processes (send-worker-process.ts, the chaos suite's chaos-worker.ts) share:
 * the activation and send queues on BullMQ workers with short locks and stalled checks, so a killed
 * worker's jobs are taken over within seconds, `ready` printed once polling, and on SIGTERM a graceful
 * close that prints `closed deduped=N` (the deliveries the outbox answered from its dedupe keys).
 */
import type { Redis } from "ioredis";
import type { Db } from "../../../store/db.js";
import type { BullmqRunner } from "../../jobs/bullmq-runner.js";
import { startWorkers, type StartWorkersOptions } from "../../jobs/bullmq-workers.js";
import { closeRedisConnection } from "../../jobs/redis-connection.js";
import { installShutdownHandlers } from "../../jobs/shutdown-handlers.js";
import { SEND_QUEUES } from "../../jobs/types.js";
import type { SlowConnector } from "./cycle-test-kit.js";

export interface TestWorkerProcess {
  connection: Redis;
  prefix: string;
  processors: StartWorkersOptions["processors"];
  concurrency: StartWorkersOptions["concurrency"];
  lockDurationMs: number;
  stalledIntervalMs: number;
  runner: BullmqRunner;
  connector: SlowConnector;
  db: Db;
  /** Stopped first on SIGTERM, before the workers (e.g. a periodic sweep). */
  beforeClose?: () => Promise<void>;
}

export async function serveTestWorkers(p: TestWorkerProcess): Promise<void> {
  const fast = { max: 10_000, durationMs: 1_000 };
  const pool = startWorkers({
    connection: p.connection,
    prefix: p.prefix,
    processors: p.processors,
    queues: ["activation", ...SEND_QUEUES],
    concurrency: p.concurrency,
    limits: { email: fast, sms: fast, push: fast, in_app: fast },
    lockDurationMs: p.lockDurationMs,
    stalledIntervalMs: p.stalledIntervalMs,
  });
  for (const worker of pool.workers.values()) worker.on("error", (err) => process.stderr.write(`worker error: ${err.message}\n`));
  installShutdownHandlers(async () => {
    await p.beforeClose?.();
    await pool.close();
    await p.runner.close();
    await p.connector.close();
    await closeRedisConnection(p.connection);
    await p.db.close();
    process.stdout.write(`closed deduped=${p.connector.deduped}\n`);
  });
  await pool.ready();
  process.stdout.write("ready\n");
}
