import { spawn, type ChildProcess } from "node:child_process";
import { hostname } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { BullmqRunner } from "../../jobs/bullmq-runner.js";
import { workerNameOf } from "../../jobs/bullmq-workers.js";
import { exitOf, watchOutput } from "../../jobs/test-process.js";
import { isSendQueue, messageIdsOfSendJob, type QueueName } from "../../jobs/types.js";

/**
 * Test and benchmark support: N real `pulse worker` processes on one Redis and one PostgreSQL, as an
 * operator scales out. Each process gets its own data directory, so its file outbox
 * (`<dataDir>/outbox.jsonl`) holds exactly what that worker delivered; the BullMQ name each
 * process gives its workers (`processedBy` on every job) tells which one ran a shard or a send.
 */

const pulseBin = fileURLToPath(new URL("../../../bin/pulse.mjs", import.meta.url));
const root = fileURLToPath(new URL("../../../", import.meta.url));

export interface WorkerFleetOptions {
  count: number;
  databaseUrl: string;
  schema: string;
  redisUrl: string;
  prefix: string;
  /** Worker i keeps its data (its outbox) in `<dataRoot>/worker-<i>`. */
  dataRoot: string;
  /** Extra `pulse worker` arguments, e.g. ["--rate", "email=100000/1s"]. */
  args?: readonly string[];
  /** Extra environment (the children inherit nothing else). */
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export interface FleetWorker {
  index: number;
  child: ChildProcess;
  /** BullMQ worker name of this process (see workerNameOf). */
  name: string;
  outbox: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  err: ReturnType<typeof watchOutput>;
}

export interface WorkerFleet {
  workers: FleetWorker[];
  /** Resolves once every process logged "worker started" (connected and polling). */
  ready: Promise<void>;
  /** SIGTERM to all (each finishes its active jobs and exits), then their exits. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }[]>;
  /** SIGKILL to any still running (cleanup after a failure). */
  kill(): void;
}

export function startWorkerFleet(o: WorkerFleetOptions): WorkerFleet {
  const workers = Array.from({ length: o.count }, (_, index): FleetWorker => {
    const dataDir = path.join(o.dataRoot, `worker-${index}`);
    const child = spawn(process.execPath, [pulseBin, "worker", ...(o.args ?? [])], {
      cwd: root,
      env: {
        DATABASE_URL: o.databaseUrl,
        PULSE_DB_SCHEMA: o.schema,
        REDIS_URL: o.redisUrl,
        PULSE_QUEUE_PREFIX: o.prefix,
        PULSE_DATA_DIR: dataDir,
        PULSE_CONNECTOR: "file",
        PULSE_LOG_LEVEL: "info",
        ...o.env,
      },
      stdio: ["ignore", "ignore", "pipe"],
    });
    return {
      index,
      child,
      name: workerNameOf(hostname(), child.pid!),
      outbox: path.join(dataDir, "outbox.jsonl"),
      exited: exitOf(child),
      err: watchOutput(child, "stderr"),
    };
  });
  const ready = Promise.all(
    workers.map((w) =>
      Promise.race([
        w.err.waitFor(/"msg":"worker started"/, o.readyTimeoutMs ?? 120_000),
        w.exited.then((e) => Promise.reject(new Error(`worker ${w.index} exited ${JSON.stringify(e)} before it started:\n${w.err.text}`))),
      ]),
    ),
  ).then(() => undefined);
  ready.catch(() => {});
  const running = (w: FleetWorker) => w.child.exitCode === null && w.child.signalCode === null;
  return {
    workers,
    ready,
    async stop() {
      for (const w of workers) if (running(w)) w.child.kill("SIGTERM");
      return Promise.all(workers.map((w) => w.exited));
    },
    kill() {
      for (const w of workers) if (running(w)) w.child.kill("SIGKILL");
    },
  };
}

/**
 * Completed jobs of `queues` per worker name (BullMQ's processedBy; "(unnamed)" when a job has none),
 * a send job counting its messages (one, or its batch).
 */
export async function completedJobsByWorker(runner: BullmqRunner, queues: readonly QueueName[]): Promise<Map<string, number>> {
  const byWorker = new Map<string, number>();
  for (const q of queues) {
    const queue = runner.queue(q);
    const total = await queue.getCompletedCount();
    for (let start = 0; start < total; start += 1000) {
      for (const job of await queue.getCompleted(start, start + 999)) {
        const name = job.processedBy ?? "(unnamed)";
        const n = isSendQueue(q) ? messageIdsOfSendJob(job.data as { messageId?: string; messageIds?: string[] }).length : 1;
        byWorker.set(name, (byWorker.get(name) ?? 0) + n);
      }
    }
  }
  return byWorker;
}
