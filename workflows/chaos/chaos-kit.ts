import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import { FileOutboxConnector } from "../../connectors/file-outbox.js";
import { ManualClock } from "../../core/clock.js";
import type { Db } from "../../store/db.js";
import { experimentArms, messageProgress, messageStatuses, sendEntryCount } from "../../store/exactly-once-repo.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../demo.js";
import { BullmqRunner } from "../jobs/bullmq-runner.js";
import { exitOf, watchOutput } from "../jobs/test-process.js";
import { SEND_QUEUES, type QueueName } from "../jobs/types.js";
import { readOutbox, testConfig } from "../cycle/testing/cycle-test-kit.js";
import { createCycleRuntime } from "../runtime.js";

/** Shared by the chaos suite's scenarios: a cycle waiting in Redis, worker processes, and the counts that prove exactly-once. */

const DAY = 86_400_000;
const workerScript = fileURLToPath(new URL("./chaos-worker.ts", import.meta.url));

export interface PreparedCycle {
  cycleId: string;
  experimentId: string;
  treated: number;
  shards: number;
  /** The workers' clock: two days after the cycle's time, so every send is due. */
  workerNow: string;
}

/**
 * Plans and approves a cycle in this process; its activation shards wait in Redis for the worker
 * processes. Small shards, so a run has several and kills land inside activation too.
 */
export async function prepareCycle(
  db: Db,
  asOf: Date,
  queue: { connection: Redis; prefix: string },
  shardSize = 40,
): Promise<PreparedCycle> {
  const runner = new BullmqRunner({ connection: queue.connection, prefix: queue.prefix });
  const { service } = await createCycleRuntime(testConfig(), {
    db,
    runner,
    clock: new ManualClock(asOf),
    connector: new FileOutboxConnector({ path: "/dev/null" }),
  });
  try {
    await setDemoPolicy(db);
    const started = await service.start({ requestedBy: "chaos", asOf, settings: { ...DEMO_SETTINGS, shardSize } });
    if (started.waiting?.kind !== "attribution_window") throw new Error(`the cycle stopped at ${started.state.status}, expected activated`);
    const a = started.state.activation!;
    return {
      cycleId: started.cycleId,
      experimentId: a.experimentId,
      treated: a.treated,
      shards: a.shards,
      workerNow: new Date(asOf.getTime() + 2 * DAY + 3_600_000).toISOString(),
    };
  } finally {
    await runner.close();
  }
}

export interface WorkerOptions {
  databaseUrl: string;
  schema: string;
  redisUrl: string;
  prefix: string;
  outbox: string;
  now: string;
  [k: string]: unknown;
}

export interface WorkerHandle {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  out: ReturnType<typeof watchOutput>;
  err: ReturnType<typeof watchOutput>;
  ready: Promise<void>;
}

/** Starts a chaos worker process (see chaos-worker.ts). */
export function startWorker(options: WorkerOptions): WorkerHandle {
  return standbyWorker(options).go();
}

/**
 * Starts a chaos worker process that loads its code and waits: `go()` lets it connect and work.
 * Starting the next worker while the current one runs keeps Node's start-up out of the kill loop,
 * without two workers ever working at once.
 */
export function standbyWorker(options: WorkerOptions): { go(): WorkerHandle; kill(): void } {
  const child = spawn(process.execPath, ["--import", "tsx", workerScript, JSON.stringify({ ...options, standby: true })], {
    stdio: ["pipe", "pipe", "pipe"],
  });
  const exited = exitOf(child);
  const out = watchOutput(child);
  const err = watchOutput(child, "stderr");
  const withStderr = (e: Error) => Promise.reject(new Error(`${e.message}\nstderr:\n${err.text}`));
  const loaded = out.waitFor(/^standby$/m, 60_000).catch(withStderr);
  loaded.catch(() => {});
  return {
    go() {
      const ready = loaded.then(() => {
        child.stdin!.write("go\n");
        return out.waitFor(/^ready$/m, 60_000).catch(withStderr);
      });
      return { child, exited, out, err, ready };
    },
    kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    },
  };
}

export interface Progress {
  /** Messages created (activation) and messages no longer queued (sent, suppressed, dead-lettered). */
  created: number;
  done: number;
}

export async function progressOf(db: Db, cycleId: string): Promise<Progress> {
  return messageProgress(db, cycleId);
}

export interface ExactlyOnceCounts {
  treated: number;
  holdout: number;
  globalControl: number;
  /** Outbox lines (parseable), distinct dedupe keys among them, and lines beyond the first per key. */
  outboxLines: number;
  delivered: number;
  duplicates: number;
  /** Treated customers with no delivered line and no suppression: a lost send. */
  lost: number;
  /** Treated customers suppressed at send time (consent withdrawn since planning). */
  suppressed: number;
  holdoutContacted: number;
  globalControlContacted: number;
  /** Send entries in the audit log, and messages marked sent. */
  sendEntries: number;
  sentRows: number;
}

/** Counts from the outbox (or several workers' outboxes, taken together) and the message rows against the experiment's assignments. */
export async function exactlyOnceCounts(
  db: Db,
  c: { cycleId: string; experimentId: string },
  outbox: string | readonly string[],
): Promise<ExactlyOnceCounts> {
  const arms = await experimentArms(db, c.experimentId);
  const armOf = new Map(arms.map((r) => [r.customer_id, r.arm]));
  const msgs = await messageStatuses(db, c.cycleId);
  const files = typeof outbox === "string" ? [outbox] : outbox;
  const lines = (await Promise.all(files.map(readOutbox))).flatMap((o) => o.messages).filter((m) => m.cycleId === c.cycleId);
  const perKey = new Map<string, number>();
  for (const l of lines) perKey.set(l.dedupeKey, (perKey.get(l.dedupeKey) ?? 0) + 1);
  const deliveredCustomers = new Set(lines.map((l) => l.customerId));
  const suppressed = new Set(msgs.filter((m) => m.status === "suppressed").map((m) => m.customer_id));
  const treated = arms.filter((r) => r.arm === "treatment").map((r) => r.customer_id);
  const contacted = (arm: string) =>
    new Set([...lines.map((l) => l.customerId), ...msgs.map((m) => m.customer_id)].filter((id) => armOf.get(id) === arm)).size;
  const sendEntries = await sendEntryCount(db, c.cycleId);
  return {
    treated: treated.length,
    holdout: arms.filter((r) => r.arm === "holdout").length,
    globalControl: arms.filter((r) => r.arm === "global_control").length,
    outboxLines: lines.length,
    delivered: perKey.size,
    duplicates: lines.length - perKey.size,
    lost: treated.filter((id) => !deliveredCustomers.has(id) && !suppressed.has(id)).length,
    suppressed: suppressed.size,
    holdoutContacted: contacted("holdout"),
    globalControlContacted: contacted("global_control"),
    sendEntries,
    sentRows: msgs.filter((m) => m.status === "sent").length,
  };
}

/** Jobs BullMQ gave up on as stalled, in the activation and send queues. */
export async function stalledFailures(queue: { connection: Redis; prefix: string }): Promise<number> {
  const runner = new BullmqRunner({ connection: queue.connection, prefix: queue.prefix });
  try {
    let n = 0;
    for (const q of ["activation", ...SEND_QUEUES] as QueueName[]) {
      const failed = await runner.queue(q).getFailed(0, -1);
      n += failed.filter((j) => /stalled/.test(j.failedReason ?? "")).length;
    }
    return n;
  } finally {
    await runner.close();
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sweeps the worker processes printed (`sweep {...}` lines): messages the sweeper sent. */
export function sweptSends(outputs: readonly string[]): number {
  let n = 0;
  for (const text of outputs)
    for (const m of text.matchAll(/^sweep (.*)$/gm)) n += (JSON.parse(m[1]!) as { sent: number; deadLettered: number }).sent;
  return n;
}
