import type { Logger } from "../core/logger.js";
import type { Clock } from "../core/clock.js";
import type { Config } from "../core/config.js";
import { checkpointFileFor, checkpointKeyFor, writeAuditCheckpoint } from "../guardrails/audit-checkpoint-file.js";
import type { AuditLog } from "../guardrails/audit.js";
import type { Db } from "../store/db.js";
import { pruneByPolicy } from "./retention.js";

/** Who the worker's own maintenance is recorded as. */
export const MAINTENANCE_ACTOR = "system:maintenance";

export interface Maintenance {
  /** Resolves when the tasks started so far have finished. */
  stop(): Promise<void>;
}

/**
 * The worker's periodic chores: a signed audit checkpoint every PULSE_AUDIT_CHECKPOINT_MINUTES (when
 * a key is configured; the first at start) and pruning by the retention policy every
 * PULSE_PRUNE_MINUTES. A failing run is logged and tried again at the next tick; runs never overlap.
 */
export function startMaintenance(deps: { db: Db; audit: AuditLog; clock: Clock; config: Config; logger: Logger }): Maintenance {
  const { config, logger } = deps;
  const timers: NodeJS.Timeout[] = [];
  const running = new Set<Promise<void>>();
  const every = (name: string, minutes: number, task: () => Promise<void>) => {
    let busy = false;
    const tick = () => {
      if (busy) return;
      busy = true;
      const run = task()
        .catch((err: unknown) => logger.error({ err, task: name }, "maintenance task failed"))
        .finally(() => {
          busy = false;
          running.delete(run);
        });
      running.add(run);
    };
    tick();
    const timer = setInterval(tick, minutes * 60_000);
    timer.unref();
    timers.push(timer);
  };

  if (config.PULSE_AUDIT_KEY || config.PULSE_AUDIT_KEY_FILE) {
    const file = checkpointFileFor(config);
    const key = checkpointKeyFor(config);
    key.catch(() => {});
    every("audit-checkpoint", config.PULSE_AUDIT_CHECKPOINT_MINUTES, async () => {
      const c = await writeAuditCheckpoint(deps.db, await key, file, deps.clock.now());
      logger.info({ seq: c.seq, file }, "audit checkpoint written");
    });
  } else {
    logger.warn({}, "no PULSE_AUDIT_KEY or PULSE_AUDIT_KEY_FILE: the worker writes no audit checkpoints");
  }
  every("prune", config.PULSE_PRUNE_MINUTES, async () => {
    const r = await pruneByPolicy(deps, MAINTENANCE_ACTOR);
    logger.info({ ...r.counts }, "pruned by the retention policy");
  });

  return {
    async stop() {
      for (const t of timers) clearInterval(t);
      await Promise.all([...running]);
    },
  };
}
