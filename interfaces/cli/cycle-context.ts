import type { Config } from "../../core/config.js";
import { withDb } from "./context.js";
import type { Db } from "../../store/db.js";
import { BullmqRunner } from "../../workflows/jobs/bullmq-runner.js";
import { InProcessRunner } from "../../workflows/jobs/in-process-runner.js";
import type { JobRunner } from "../../workflows/jobs/types.js";
import type { CycleDeps } from "../../workflows/cycle/deps.js";
import { cycleProcessors, IN_PROCESS_RUNNER_OPTIONS } from "../../workflows/cycle/processors.js";
import { createCycleService, type CycleService } from "../../workflows/cycle/service.js";
import { createCycleDeps } from "../../workflows/cycle/wiring.js";

export interface CycleContext {
  deps: CycleDeps;
  service: CycleService;
  runner: JobRunner;
  /** Runs every due job when jobs run in this process; a no-op with Redis (workers run them). */
  drain(): Promise<{ completed: number; failed: number; pending: number }>;
  close(): Promise<void>;
}

/**
 * The cycle machinery for one CLI command: with REDIS_URL, work is enqueued for `pulse worker`;
 * without it, the same processors run here.
 */
export async function openCycleContext(db: Db, config: Config): Promise<CycleContext> {
  let inner: InProcessRunner | undefined;
  const runner: JobRunner = config.REDIS_URL
    ? BullmqRunner.connect(config.REDIS_URL, { prefix: config.PULSE_QUEUE_PREFIX })
    : { kind: "in-process", enqueue: (q, d, o) => inner!.enqueue(q, d, o), close: async () => inner?.close() };
  const deps = createCycleDeps({ db, config, runner });
  const service = await createCycleService(deps);
  if (!config.REDIS_URL) inner = new InProcessRunner({ processors: cycleProcessors(deps, service), ...IN_PROCESS_RUNNER_OPTIONS });
  return {
    deps,
    service,
    runner,
    async drain() {
      if (!inner) return { completed: 0, failed: 0, pending: 0 };
      const r = await inner.drain();
      return { completed: r.completed, failed: r.failed.length, pending: inner.pending().length };
    },
    async close() {
      await runner.close();
      await deps.connector.close?.();
    },
  };
}

/** Opens the database and the cycle machinery for one command, and closes both whatever happens. */
export async function withCycle<T>(fn: (ctx: CycleContext, db: Db) => Promise<T>): Promise<T> {
  return withDb(async (db, config) => {
    const ctx = await openCycleContext(db, config);
    try {
      return await fn(ctx, db);
    } finally {
      await ctx.close();
    }
  });
}
