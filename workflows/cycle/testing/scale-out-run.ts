import type { Redis } from "ioredis";
import type { Db } from "../../../store/db.js";
import { exactlyOnceCounts, prepareCycle, progressOf, sleep, type ExactlyOnceCounts, type PreparedCycle } from "../../chaos/chaos-kit.js";
import { BullmqRunner } from "../../jobs/bullmq-runner.js";
import { SEND_QUEUES, type QueueName } from "../../jobs/types.js";
import { readOutbox } from "./cycle-test-kit.js";
import { busyShare, machineCpu, processCpuSeconds } from "./proc-cpu.js";
import { completedJobsByWorker, startWorkerFleet } from "./worker-fleet.js";

/**
 * One scale-out run, shared by the integration test and `npm run bench:workers`: a cycle planned and
 * approved in this process, its activation shards held in Redis (the queue paused) until N `pulse
 * worker` processes are all polling, then released; timed until every treated customer's message has
 * left `queued`. Returns the exactly-once counts over all workers' outboxes and how the jobs were shared.
 */

/** Send limits far above what one machine does: BullMQ enforces a queue's limit across all workers, so the defaults would cap every fleet alike. */
export const UNLIMITED_RATES = ["email", "sms", "push", "in_app"].flatMap((c) => ["--rate", `${c}=1000000/1s`]);

export interface ScaleOutRunOptions {
  db: Db;
  /** How the worker processes reach the same database and Redis. */
  databaseUrl: string;
  redisUrl: string;
  queue: { connection: Redis; prefix: string };
  asOf: Date;
  workers: number;
  /** Each worker keeps its outbox under `<dataRoot>/worker-<i>`. */
  dataRoot: string;
  shardSize: number;
  /** Extra `pulse worker` arguments (UNLIMITED_RATES is always passed). */
  workerArgs?: readonly string[];
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface ScaleOutRunResult {
  cycle: PreparedCycle;
  counts: ExactlyOnceCounts;
  /** From releasing the shards to the last treated customer's message created, and to the last one sent. */
  activationSeconds: number;
  seconds: number;
  /** Completed jobs per worker process (BullMQ's processedBy), and outbox lines per worker (by index). */
  shardsByWorker: Map<string, number>;
  sendsByWorker: Map<string, number>;
  outboxLinesByWorker: number[];
  workerNames: string[];
  /** CPU seconds the worker processes used from release to the last send, and the machine's busy share meanwhile (Linux; NaN elsewhere). */
  workerCpuSeconds: number;
  machineBusy: number;
  exits: { code: number | null; signal: NodeJS.Signals | null }[];
}

export async function scaleOutRun(o: ScaleOutRunOptions): Promise<ScaleOutRunResult> {
  const runner = new BullmqRunner({ connection: o.queue.connection, prefix: o.queue.prefix });
  const activation = runner.queue("activation");
  // Held until the whole fleet polls, so a worker that starts first does not take every shard.
  await activation.pause();
  const fleet = startWorkerFleet({
    count: o.workers,
    databaseUrl: o.databaseUrl,
    schema: o.db.schema,
    redisUrl: o.redisUrl,
    prefix: o.queue.prefix,
    dataRoot: o.dataRoot,
    args: [...UNLIMITED_RATES, ...(o.workerArgs ?? [])],
  });
  try {
    const [cycle] = await Promise.all([prepareCycle(o.db, o.asOf, o.queue, o.shardSize), fleet.ready]);
    o.log?.(`  cycle ${cycle.cycleId}: ${cycle.treated} treated in ${cycle.shards} shards; ${o.workers} worker(s) polling`);
    const cpuAtStart = await Promise.all(fleet.workers.map((w) => processCpuSeconds(w.child.pid!)));
    const machineAtStart = await machineCpu();
    const started = performance.now();
    await activation.resume();
    const deadline = Date.now() + (o.timeoutMs ?? 600_000);
    let activationSeconds: number | undefined;
    for (;;) {
      const p = await progressOf(o.db, cycle.cycleId);
      if (activationSeconds === undefined && p.created >= cycle.treated) activationSeconds = (performance.now() - started) / 1000;
      if (p.created >= cycle.treated && p.done >= p.created) break;
      if (Date.now() > deadline)
        throw new Error(
          `the fleet did not finish (at ${JSON.stringify(p)})\n${fleet.workers.map((w) => w.err.text.slice(-2000)).join("\n")}`,
        );
      await sleep(50);
    }
    const seconds = (performance.now() - started) / 1000;
    const machineBusy = busyShare(machineAtStart, await machineCpu());
    const cpuAtEnd = await Promise.all(fleet.workers.map((w) => processCpuSeconds(w.child.pid!)));
    const workerCpuSeconds = cpuAtEnd.reduce((sum, c, i) => sum + c - cpuAtStart[i]!, 0);
    const exits = await fleet.stop();
    const outboxes = fleet.workers.map((w) => w.outbox);
    return {
      cycle,
      counts: await exactlyOnceCounts(o.db, cycle, outboxes),
      activationSeconds: activationSeconds ?? seconds,
      seconds,
      shardsByWorker: await completedJobsByWorker(runner, ["activation"]),
      sendsByWorker: await completedJobsByWorker(runner, [...SEND_QUEUES] as QueueName[]),
      outboxLinesByWorker: await Promise.all(outboxes.map(async (f) => (await readOutbox(f)).messages.length)),
      workerNames: fleet.workers.map((w) => w.name),
      workerCpuSeconds,
      machineBusy,
      exits,
    };
  } finally {
    fleet.kill();
    await runner.close();
  }
}
