/**
 * `pulse worker` scaled out: the same cycle on a simulated retailer of N customers, its activation
 * shards and sends worked by 1, 2, 3 and 4 `pulse worker` processes on one Redis and one PostgreSQL.
 * Each run loads the history into a fresh schema, plans and approves the cycle in this process with
 * the activation queue paused, starts the workers, releases the shards once all of them poll, and
 * times activation and sending until every treated customer's message has left `queued`. Prints
 * activation and activation+send wall time, sends/s and the ratio to 1 worker, the exactly-once
 * counts over all workers' outboxes, how the work was shared, and the CPU used.
 *   npm run bench:workers -- [--customers 20000] [--workers 1,2,3,4] [--shard-size 250] [--send-concurrency N] [--seed 1]
 * Send rate limits are lifted for the run (BullMQ enforces a queue's limit across all workers).
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { loadConfig } from "../core/config.js";
import type { IngestKind } from "../ingest/formats.js";
import { ingestFile } from "../ingest/ingest-file.js";
import { readWorldManifest } from "../sim/world-manifest.js";
import { createTestDb } from "../store/test-db.js";
import { scaleOutRun } from "../workflows/cycle/testing/scale-out-run.js";
import { createTestRedis } from "../workflows/jobs/test-redis.js";
import { benchHistory } from "./bench-history.js";
import { formatWorkersTable, workersBenchOptionsSchema, type WorkersRun } from "./workers-figures.js";

const KINDS = ["customers", "consents", "orders", "events", "responses"] as const satisfies readonly IngestKind[];
const USAGE = "usage: npm run bench:workers -- [--customers N] [--workers 1,2,3,4] [--shard-size S] [--send-concurrency N] [--seed S]";

async function measure(historyDir: string, workers: number, shardSize: number, workerArgs: string[]): Promise<WorkersRun> {
  const manifest = await readWorldManifest(historyDir);
  const config = loadConfig();
  const t = await createTestDb("postgres");
  const redis = await createTestRedis();
  const dataRoot = await mkdtemp(path.join(tmpdir(), "pulse-bench-workers-"));
  try {
    const started = performance.now();
    for (const kind of KINDS) await ingestFile(t.db, kind, path.join(historyDir, manifest.files[kind]));
    console.error(`[${workers} worker(s)] history loaded in ${((performance.now() - started) / 1000).toFixed(1)} s; planning ...`);
    const r = await scaleOutRun({
      db: t.db,
      databaseUrl: config.PULSE_TEST_DATABASE_URL,
      redisUrl: redis.url,
      queue: redis,
      asOf: new Date(manifest.now),
      workers,
      dataRoot,
      shardSize,
      workerArgs,
      log: (line) => console.error(`[${workers} worker(s)]${line}`),
    });
    const c = r.counts;
    if (r.exits.some((e) => e.code !== 0)) throw new Error(`a worker exited badly: ${JSON.stringify(r.exits)}`);
    const desc = (m: Map<string, number>) => [...m.values()].sort((a, b) => b - a);
    const run: WorkersRun = {
      workers,
      treated: c.treated,
      shards: r.cycle.shards,
      sent: c.delivered,
      activationSeconds: r.activationSeconds,
      seconds: r.seconds,
      duplicates: c.duplicates,
      lost: c.lost,
      heldOutContacted: c.holdoutContacted + c.globalControlContacted,
      sendsPerWorker: desc(r.sendsByWorker),
      shardsPerWorker: desc(r.shardsByWorker),
      workerCpuSeconds: r.workerCpuSeconds,
      machineBusy: r.machineBusy,
    };
    console.error(
      `[${workers} worker(s)] ${run.sent} sent in ${run.seconds.toFixed(2)} s (${c.suppressed} suppressed at send time); ` +
        `${c.sentRows} rows sent, ${c.sendEntries} send entries`,
    );
    if (c.sentRows !== c.delivered || c.sendEntries !== c.delivered || c.delivered + c.suppressed !== c.treated)
      throw new Error(`exactly-once counts disagree: ${JSON.stringify(c)}`);
    return run;
  } finally {
    await redis.cleanup();
    await t.drop();
    await rm(dataRoot, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: "string", default: "20000" },
      seed: { type: "string", default: "1" },
      workers: { type: "string", default: "1,2,3,4" },
      "shard-size": { type: "string", default: "250" },
      "send-concurrency": { type: "string" },
    },
  });
  const parsed = workersBenchOptionsSchema.safeParse({
    ...values,
    shardSize: values["shard-size"],
    sendConcurrency: values["send-concurrency"],
  });
  if (!parsed.success) {
    console.error(`bench:workers: ${z.prettifyError(parsed.error)}\n${USAGE}`);
    process.exit(2);
  }
  const o = parsed.data;
  const { dir, generatedSeconds } = await benchHistory(o.customers, o.seed);
  if (generatedSeconds !== undefined) console.error(`history of ${o.customers} customers generated in ${generatedSeconds.toFixed(1)} s`);
  const runs: WorkersRun[] = [];
  const workerArgs = o.sendConcurrency === undefined ? [] : ["--send-concurrency", String(o.sendConcurrency)];
  for (const workers of o.workers) runs.push(await measure(dir, workers, o.shardSize, workerArgs));
  console.log(
    `pulse worker processes on one Redis and one PostgreSQL: ${o.customers.toLocaleString("en")} customers, seed ${o.seed}, ` +
      `shards of ${o.shardSize}, send concurrency ${o.sendConcurrency ?? "default"} per worker, file outbox per worker, offline policy`,
  );
  console.log(formatWorkersTable(runs));
}

await main();
