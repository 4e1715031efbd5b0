import type { Config } from "../../core/config.js";
import type { Db } from "../../store/db.js";
import { createCycleRuntime, type CycleRuntime } from "../../workflows/runtime.js";
import { withDb } from "./context.js";

/** The cycle machinery a CLI command uses: the one runtime (see workflows/runtime.ts). */
export type CycleContext = CycleRuntime;

/**
 * The cycle machinery for one CLI command on an open database: with REDIS_URL, work is enqueued for
 * `pulse worker`; without it, the same processors run here.
 */
export function openCycleContext(db: Db, config: Config): Promise<CycleContext> {
  return createCycleRuntime(config, { db });
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
