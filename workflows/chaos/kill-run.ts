import type { Redis } from "ioredis";
import type { Db } from "../../store/db.js";
import { Rng } from "../../sim/rng.js";
import {
  exactlyOnceCounts,
  prepareCycle,
  progressOf,
  sleep,
  stalledFailures,
  standbyWorker,
  sweptSends,
  type ExactlyOnceCounts,
  type WorkerHandle,
} from "./chaos-kit.js";

export interface KillRunOptions {
  db: Db;
  /** How the worker processes reach the same database and Redis. */
  databaseUrl: string;
  redisUrl: string;
  queue: { connection: Redis; prefix: string };
  asOf: Date;
  outbox: string;
  kills: number;
  seed: number;
  /** Give up waiting for the final worker after this long. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

export interface KillRunResult extends ExactlyOnceCounts {
  cycleId: string;
  kills: number;
  /** Where the kills landed: some treated customers had no message yet, or all had and sends were under way. */
  killsInActivation: number;
  killsInSending: number;
  /** Jobs BullMQ failed as "stalled more than allowable limit" (the sweeper's work). */
  stalledFailed: number;
  sweptSent: number;
  seconds: number;
}

/**
 * One run: a cycle's activation and sends worked by a worker process that is SIGKILLed `kills` times
 * at random points (a random target of progress over activation and sending, drawn per kill), then
 * a last worker that is left to finish (its sweeper re-drives whatever BullMQ gave up on).
 */
export async function killRun(o: KillRunOptions): Promise<KillRunResult> {
  const started = Date.now();
  const cycle = await prepareCycle(o.db, o.asOf, o.queue);
  o.log?.(
    `  cycle ${cycle.cycleId} prepared in ${((Date.now() - started) / 1000).toFixed(1)} s: ${cycle.treated} treated, ${cycle.shards} shards`,
  );
  const rng = new Rng(o.seed, 0x6b11);
  const total = cycle.treated * 2;
  const targets = Array.from({ length: o.kills }, () => 1 + rng.int(Math.max(1, total - 1))).sort((a, b) => a - b);
  const options = {
    databaseUrl: o.databaseUrl,
    schema: o.db.schema,
    redisUrl: o.redisUrl,
    prefix: o.queue.prefix,
    outbox: o.outbox,
    now: cycle.workerNow,
  };
  const outputs: WorkerHandle[] = [];
  let inActivation = 0;
  let inSending = 0;
  const timeoutMs = o.timeoutMs ?? 120_000;
  // The next worker loads while the current one works (never two working at once).
  const standbys = [standbyWorker(options)];
  try {
    for (const target of targets) {
      const goAt = Date.now();
      const w = standbys.shift()!.go();
      outputs.push(w);
      await w.ready;
      const readyMs = Date.now() - goAt;
      standbys.push(standbyWorker(options));
      const deadline = Date.now() + timeoutMs;
      let p = await progressOf(o.db, cycle.cycleId);
      while (p.created + p.done < target && p.done < cycle.treated) {
        if (Date.now() > deadline)
          throw new Error(`no progress to ${target} within ${timeoutMs} ms (at ${JSON.stringify(p)})\n${w.err.text}`);
        await sleep(10);
        p = await progressOf(o.db, cycle.cycleId);
      }
      await sleep(rng.int(20));
      w.child.kill("SIGKILL");
      await w.exited;
      if (p.created < cycle.treated) inActivation++;
      else inSending++;
      o.log?.(
        `  ${((Date.now() - started) / 1000).toFixed(1)} s: kill at ${target}/${total}: ${p.created} created, ${p.done} done (ready after ${readyMs} ms)`,
      );
    }

    const last = standbys.shift()!.go();
    outputs.push(last);
    await last.ready;
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await progressOf(o.db, cycle.cycleId);
      if (p.created >= cycle.treated && p.done >= p.created) break;
      if (Date.now() > deadline)
        throw new Error(`the last worker did not finish within ${timeoutMs} ms (at ${JSON.stringify(p)})\n${last.err.text}`);
      await sleep(50);
    }
    o.log?.(`  ${((Date.now() - started) / 1000).toFixed(1)} s: the last worker finished`);
    last.child.kill("SIGTERM");
    const exit = await last.exited;
    if (exit.code !== 0) throw new Error(`the last worker exited ${JSON.stringify(exit)}\n${last.err.text}`);
  } finally {
    // Whatever happened, no worker of this run outlives it.
    for (const s of standbys) s.kill();
    for (const w of outputs) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill("SIGKILL");
  }

  const counts = await exactlyOnceCounts(o.db, cycle, o.outbox);
  return {
    cycleId: cycle.cycleId,
    ...counts,
    kills: targets.length,
    killsInActivation: inActivation,
    killsInSending: inSending,
    stalledFailed: await stalledFailures(o.queue),
    sweptSent: sweptSends(outputs.map((w) => w.out.text)),
    seconds: (Date.now() - started) / 1000,
  };
}
