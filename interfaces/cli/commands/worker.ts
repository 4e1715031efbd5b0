import { hostname } from "node:os";
import type { Command } from "commander";
import { loadConfig, type Config } from "../../../core/config.js";
import { ConfigError, InputError } from "../../../core/errors.js";
import { createLogger } from "../../../core/logger.js";
import { openDb, type Db } from "../../../store/db.js";
import { startPeriodicSweep, summarize, type PeriodicSweeper } from "../../../workflows/cycle/sweeper.js";
import { BullmqRunner } from "../../../workflows/jobs/bullmq-runner.js";
import { startWorkers, workerNameOf, type WorkerPool } from "../../../workflows/jobs/bullmq-workers.js";
import { closeRedisConnection, createRedisConnection } from "../../../workflows/jobs/redis-connection.js";
import { installCycleSchedule, removeCycleSchedule, validateCron } from "../../../workflows/jobs/scheduler.js";
import { parseSendLimits } from "../../../workflows/jobs/send-limits.js";
import { installShutdownHandlers } from "../../../workflows/jobs/shutdown-handlers.js";
import { isQueueName, isSendQueue, QUEUE_NAMES, type JobRunner, type ProcessorMap, type QueueName } from "../../../workflows/jobs/types.js";
import { createCycleRuntime, type CycleRuntime } from "../../../workflows/runtime.js";
import { runAction } from "../run-action.js";
import { systemClock } from "../../../core/clock.js";
import { createAuditLog } from "../../../guardrails/audit.js";
import { startMaintenance, type Maintenance } from "../../../workflows/maintenance.js";

interface WorkerOptions {
  concurrency?: string;
  sendConcurrency?: string;
  queues?: string;
  schedule?: string;
  tz?: string;
  unschedule?: boolean;
  rate: string[];
  shutdownTimeout: string;
  sweepInterval?: string;
  sweepGrace?: string;
}

export interface WorkerCommandDeps {
  /** Tests swap the cycle processors (by default, the cycle runtime's) for small fakes. */
  createProcessors?: (options: { db: Db; config: Config; runner: JobRunner }) => Promise<ProcessorMap>;
}

export const WORKER_NEEDS_REDIS = "pulse worker needs REDIS_URL; without it jobs run in-process inside the command that starts them";

function nonNegativeInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`${flag} must be a non-negative integer, got "${value}"`);
  return n;
}

function positiveInt(value: string, flag: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${flag} must be a positive integer, got "${value}"`);
  return n;
}

function parseQueues(list: string | undefined): QueueName[] {
  if (list === undefined) return [...QUEUE_NAMES];
  const names = list
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !isQueueName(n));
  if (unknown.length > 0 || names.length === 0) {
    throw new InputError(
      `--queues: unknown queue ${unknown.map((n) => `"${n}"`).join(", ") || "(none given)"}; known: ${QUEUE_NAMES.join(", ")}`,
    );
  }
  return names as QueueName[];
}

/**
 * Send jobs at once per send queue by default. The sends running at once in a process are one group
 * (one transaction, one audit-chain lock), so more at once means fewer, larger groups: measured with
 * npm run bench:workers, 100 instead of 10 took about a third less worker CPU per send.
 */
export const DEFAULT_SEND_CONCURRENCY = 100;

/**
 * Activation shards at once per process by default: a shard mostly waits on the database (its
 * targets, its message rows, its send jobs), so a few at once keep one worker busy; each holds one
 * shard's messages in memory.
 */
export const DEFAULT_ACTIVATION_CONCURRENCY = 4;

/**
 * Jobs at once per queue: --concurrency for every queue, --send-concurrency over it for the send
 * queues; unset, DEFAULT_SEND_CONCURRENCY per send queue, DEFAULT_ACTIVATION_CONCURRENCY for
 * activation and 1 for the others.
 */
export function concurrencyOf(all: number | undefined, send: number | undefined): number | Partial<Record<QueueName, number>> {
  if (send === undefined && all !== undefined) return all;
  const otherOf = (q: QueueName) => all ?? (q === "activation" ? DEFAULT_ACTIVATION_CONCURRENCY : 1);
  return Object.fromEntries(QUEUE_NAMES.map((q) => [q, isSendQueue(q) ? (send ?? DEFAULT_SEND_CONCURRENCY) : otherOf(q)]));
}

export function registerWorkerCommand(program: Command, deps: WorkerCommandDeps = {}): void {
  program
    .command("worker")
    .description("Process cycle jobs from Redis (BullMQ) until SIGTERM/SIGINT; run more of these to scale out. Needs REDIS_URL.")
    .option(
      "--concurrency <n>",
      `jobs at once per queue in this process (default: ${DEFAULT_SEND_CONCURRENCY} for send queues, ${DEFAULT_ACTIVATION_CONCURRENCY} for activation, 1 for the others)`,
    )
    .option(
      "--send-concurrency <n>",
      "send jobs at once per send queue in this process, over --concurrency (the sends running at once are grouped into one transaction)",
    )
    .option("--queues <list>", `comma-separated subset of queues to work on (default all: ${QUEUE_NAMES.join(",")})`)
    .option("--schedule <cron>", 'install (or update) the autonomous-cycle schedule, e.g. "0 9 * * 1" for Mondays 09:00')
    .option("--tz <zone>", "time zone of --schedule (IANA name, default UTC)")
    .option("--unschedule", "remove the autonomous-cycle schedule and exit")
    .option(
      "--rate <spec>",
      "send rate limit per channel, e.g. sms=20/1s (repeatable; defaults email=200/1s sms=20/1s push=100/1s in_app=200/1s)",
      (v: string, prev: string[]) => [...prev, v],
      [] as string[],
    )
    .option(
      "--shutdown-timeout <ms>",
      "on SIGTERM, wait this long for active jobs before abandoning them (they are retried later)",
      "30000",
    )
    .option(
      "--sweep-interval <ms>",
      "re-drive messages still queued past their send time (and activation shards that never finished) this often; 0 = off (default PULSE_SWEEP_INTERVAL_MS, 60000)",
    )
    .option(
      "--sweep-grace <ms>",
      "how long past its planned time a queued message is left to its job (default PULSE_SWEEP_GRACE_MS, 300000)",
    )
    .action(runAction(async (opts: WorkerOptions) => runWorker(opts, deps)));
}

async function runWorker(opts: WorkerOptions, deps: WorkerCommandDeps): Promise<number | void> {
  const config = loadConfig();
  if (!config.REDIS_URL) throw new ConfigError("REDIS_URL", WORKER_NEEDS_REDIS);

  // Check every option before connecting anywhere.
  const queues = parseQueues(opts.queues);
  const concurrency = concurrencyOf(
    opts.concurrency === undefined ? undefined : positiveInt(opts.concurrency, "--concurrency"),
    opts.sendConcurrency === undefined ? undefined : positiveInt(opts.sendConcurrency, "--send-concurrency"),
  );
  const limits = parseSendLimits(opts.rate);
  const forceAfterMs = positiveInt(opts.shutdownTimeout, "--shutdown-timeout");
  const sweepIntervalMs =
    opts.sweepInterval === undefined ? config.PULSE_SWEEP_INTERVAL_MS : nonNegativeInt(opts.sweepInterval, "--sweep-interval");
  const sweepGraceMs = opts.sweepGrace === undefined ? config.PULSE_SWEEP_GRACE_MS : nonNegativeInt(opts.sweepGrace, "--sweep-grace");
  if (opts.schedule !== undefined) validateCron({ pattern: opts.schedule, tz: opts.tz });
  if (opts.schedule !== undefined && opts.unschedule) throw new InputError("--schedule and --unschedule exclude each other");

  const logger = createLogger(config.PULSE_LOG_LEVEL, { component: "worker", pid: process.pid });
  const prefix = config.PULSE_QUEUE_PREFIX;
  const connection = createRedisConnection(config.REDIS_URL, { name: "pulse-worker" });
  connection.on("error", (err) => logger.warn({ err }, "redis connection error"));

  if (opts.unschedule) {
    try {
      const removed = await removeCycleSchedule({ connection, prefix });
      logger.info({ removed }, "autonomous-cycle schedule removed");
      process.stdout.write(removed ? "schedule removed\n" : "no schedule was installed\n");
      return 0;
    } finally {
      await closeRedisConnection(connection);
    }
  }

  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.PULSE_DATA_DIR, schema: config.PULSE_DB_SCHEMA }).catch(
    async (err: unknown) => {
      await closeRedisConnection(connection);
      throw err;
    },
  );
  const runner = new BullmqRunner({ connection, prefix });
  let pool: WorkerPool | undefined;
  let runtime: CycleRuntime | undefined;
  let maintenance: Maintenance | undefined;
  let sweeper: PeriodicSweeper | undefined;
  const shutdown = async (): Promise<void> => {
    await sweeper?.stop();
    await maintenance?.stop();
    await pool?.close({ forceAfterMs });
    await runtime?.close();
    await runner.close();
    await closeRedisConnection(connection);
    await db.close();
  };

  try {
    const processors = deps.createProcessors
      ? await deps.createProcessors({ db, config, runner })
      : (runtime = await createCycleRuntime(config, { db, runner })).processors;
    // Each job records the worker process that ran it (BullMQ's processedBy), so how the work was shared shows in Redis.
    const name = workerNameOf(hostname(), process.pid);
    pool = startWorkers({ connection, prefix, processors, queues, concurrency, limits, logger, name });
    await pool.ready();
    // Signed audit checkpoints and pruning by the retention policy, on their own timers.
    // The sweeper re-drives what the queue dropped, over the runtime's own ports (one connector, one send group).
    if (runtime && sweepIntervalMs > 0) {
      sweeper = startPeriodicSweep(runtime.deps, {
        intervalMs: sweepIntervalMs,
        graceMs: sweepGraceMs,
        onSweep: (r) => {
          if (r.activationShards + r.overdue > 0) logger.warn({ sweep: r }, summarize(r));
        },
        onError: (err) => logger.error({ err }, "sweep failed"),
      });
    }
    maintenance = startMaintenance({ db, audit: createAuditLog(db), clock: systemClock, config, logger });
    if (opts.schedule !== undefined) {
      const s = await installCycleSchedule({ connection, prefix, pattern: opts.schedule, tz: opts.tz });
      logger.info({ schedule: s.pattern, tz: s.tz ?? "UTC", next: s.next?.toISOString() }, "autonomous-cycle schedule installed");
    }
  } catch (err) {
    await shutdown().catch(() => {});
    throw err;
  }

  logger.info({ queues, prefix, concurrency, name: workerNameOf(hostname(), process.pid) }, "worker started");
  installShutdownHandlers(
    async () => {
      await shutdown();
      logger.info({}, "worker stopped");
    },
    {
      onSignal: (signal) => logger.info({ signal }, "shutting down: waiting for active jobs"),
      onCloseError: (err) => logger.error({ err }, "shutdown failed"),
    },
  );
  // The shutdown handler ends the process; until then the workers keep the event loop busy.
  await new Promise<never>(() => {});
}
