/**
 * Child process of the chaos suite: what `pulse worker` runs for a cycle's activation and sends (the
 * same activation and send processors on BullMQ workers, and the periodic sweeper over the same dependencies), delivering to
 * a JSONL file outbox through a slowed connector so the parent can kill it at any point. Short locks
 * and stalled checks so a killed worker's jobs are taken over within seconds. Prints `ready` once
 * polling (with `standby`: `standby` once loaded, and it waits for `go` on stdin), `sweep {...}` after each sweep that found work, `closed` after SIGTERM.
 * Usage: node --import tsx chaos-worker.ts '<json options>' (see optionsSchema).
 */
import { z } from "zod";
import { FileOutboxConnector } from "../../connectors/file-outbox.js";
import { ManualClock } from "../../core/clock.js";
import { LruCache } from "../../core/lru-cache.js";
import { openDb } from "../../store/db.js";
import { createApprovals } from "../../guardrails/approval-decisions.js";
import { createAuditLog } from "../../guardrails/audit.js";
import { CycleMemo } from "../cycle/cycle-memo.js";
import { COPY_CACHE_ENTRIES, type CycleDeps } from "../cycle/deps.js";
import { activateShard } from "../cycle/activation-shard.js";
import { sendJob } from "../cycle/delivery.js";
import { startPeriodicSweep } from "../cycle/sweeper.js";
import { SlowConnector } from "../cycle/testing/cycle-test-kit.js";
import { serveTestWorkers } from "../cycle/testing/worker-process.js";
import { BullmqRunner } from "../jobs/bullmq-runner.js";
import { createRedisConnection } from "../jobs/redis-connection.js";
import { SEND_QUEUES } from "../jobs/types.js";

const optionsSchema = z.strictObject({
  databaseUrl: z.string(),
  schema: z.string(),
  redisUrl: z.string(),
  prefix: z.string(),
  outbox: z.string(),
  /** The worker's clock (ISO); fixed, so every send is due. */
  now: z.string(),
  delayBeforeMs: z.number().default(5),
  delayAfterMs: z.number().default(10),
  lockDurationMs: z.number().default(1_000),
  stalledIntervalMs: z.number().default(500),
  sendConcurrency: z.number().int().positive().default(2),
  sweepIntervalMs: z.number().int().nonnegative().default(500),
  sweepGraceMs: z.number().int().nonnegative().default(2_500),
  /** Load, then wait for a `go` line on stdin before connecting (a standby the parent starts ahead of time). */
  standby: z.boolean().default(false),
});

function waitForGo(): Promise<void> {
  return new Promise((resolve) => {
    let buffered = "";
    process.stdin.setEncoding("utf8");
    process.stdin.on("data", (chunk: string) => {
      buffered += chunk;
      if (/^go$/m.test(buffered)) resolve();
    });
  });
}

async function run(): Promise<void> {
  const options = optionsSchema.parse(JSON.parse(process.argv[2] ?? "{}"));
  if (options.standby) {
    process.stdout.write("standby\n");
    await waitForGo();
  }
  const db = await openDb({ databaseUrl: options.databaseUrl, dataDir: "", schema: options.schema, migrate: false });
  const connection = createRedisConnection(options.redisUrl, { name: "pulse-chaos-worker" });
  const runner = new BullmqRunner({ connection, prefix: options.prefix });
  const connector = new SlowConnector(new FileOutboxConnector({ path: options.outbox }), {
    beforeMs: options.delayBeforeMs,
    afterMs: options.delayAfterMs,
  });
  // The dependencies activation and sending use, built here rather than by createCycleDeps so this
  // process does not load the cycle graph (LangGraph, agents): it starts in about half the time,
  // which keeps the kill loop short. The processors and the sweeper are the real ones.
  const clock = new ManualClock(options.now);
  const audit = createAuditLog(db, clock);
  const deps: CycleDeps = {
    db,
    clock,
    audit,
    approvals: createApprovals({ db, audit, clock }),
    runner,
    connector,
    copyCache: new LruCache(COPY_CACHE_ENTRIES),
    memo: new CycleMemo(),
    actor: "pulse",
  };
  const send = (data: { messageId?: string; messageIds?: readonly string[] }) => sendJob(deps, data);
  const sweeper =
    options.sweepIntervalMs > 0
      ? startPeriodicSweep(deps, {
          intervalMs: options.sweepIntervalMs,
          graceMs: options.sweepGraceMs,
          onSweep: (r) => {
            if (r.activationShards + r.overdue > 0) process.stdout.write(`sweep ${JSON.stringify({ ...r, cycles: undefined })}\n`);
          },
          onError: (err) => process.stderr.write(`sweep failed: ${(err as Error).message}\n`),
        })
      : undefined;
  await serveTestWorkers({
    connection,
    prefix: options.prefix,
    processors: {
      activation: (data) => activateShard(deps, data),
      "send-email": send,
      "send-sms": send,
      "send-push": send,
      "send-in_app": send,
    },
    concurrency: { activation: 1, ...Object.fromEntries(SEND_QUEUES.map((q) => [q, options.sendConcurrency])) },
    lockDurationMs: options.lockDurationMs,
    stalledIntervalMs: options.stalledIntervalMs,
    runner,
    connector,
    db,
    beforeClose: async () => sweeper?.stop(),
  });
}

run().catch((err: unknown) => {
  process.stderr.write(`chaos worker failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
