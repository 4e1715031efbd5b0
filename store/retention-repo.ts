import type pg from "pg";
import type { Db } from "./db.js";

/**
 * SQL for retention (pulse db prune): LangGraph checkpoints of cycles that have ended, and message
 * rows past the retention period. The audit log is never touched (its triggers refuse it anyway).
 *
 * A cycle that ended (done, or rejected) keeps its latest checkpoint, which holds its final state
 * (pulse cycle status reads it), and loses every earlier checkpoint, their pending writes and the
 * channel blobs only they referenced. A message still queued is never pruned.
 */

export const ENDED_CYCLE_STATUSES = ["done", "rejected"] as const;

export interface PruneCounts {
  /** Ended cycles whose history was pruned. */
  cycles: number;
  checkpoints: number;
  checkpointWrites: number;
  checkpointBlobs: number;
  messages: number;
}

class DryRun extends Error {
  constructor(readonly counts: PruneCounts) {
    super("dry run");
  }
}

async function checkpointTablesExist(client: pg.PoolClient): Promise<boolean> {
  const { rows } = await client.query<{ ok: boolean }>(
    "SELECT to_regclass('checkpoints') IS NOT NULL AND to_regclass('checkpoint_writes') IS NOT NULL AND to_regclass('checkpoint_blobs') IS NOT NULL AS ok",
  );
  return rows[0]!.ok;
}

/** Deletes what retention allows, in one transaction; with dryRun, counts the same rows and rolls back. */
export async function pruneRetained(
  db: Db,
  options: { messagesBefore: Date; cyclesEndedBefore: Date; dryRun?: boolean },
): Promise<PruneCounts> {
  try {
    return await db.transaction(async (client) => {
      const counts: PruneCounts = { cycles: 0, checkpoints: 0, checkpointWrites: 0, checkpointBlobs: 0, messages: 0 };
      if (await checkpointTablesExist(client)) {
        await client.query(
          `CREATE TEMP TABLE prune_keep ON COMMIT DROP AS
           SELECT DISTINCT ON (c.thread_id, c.checkpoint_ns) c.thread_id, c.checkpoint_ns, c.checkpoint_id, c.checkpoint
           FROM checkpoints c JOIN cycles y ON y.cycle_id = c.thread_id
           WHERE y.status = ANY($1) AND y.updated_at <= $2
           ORDER BY c.thread_id, c.checkpoint_ns, c.checkpoint_id DESC`,
          [ENDED_CYCLE_STATUSES, options.cyclesEndedBefore],
        );
        const cp = await client.query(
          `DELETE FROM checkpoints c USING prune_keep k
           WHERE c.thread_id = k.thread_id AND c.checkpoint_ns = k.checkpoint_ns AND c.checkpoint_id <> k.checkpoint_id
           RETURNING c.thread_id`,
        );
        counts.checkpoints = cp.rowCount ?? 0;
        counts.cycles = new Set(cp.rows.map((r: { thread_id: string }) => r.thread_id)).size;
        const w = await client.query(
          `DELETE FROM checkpoint_writes w USING prune_keep k
           WHERE w.thread_id = k.thread_id AND w.checkpoint_ns = k.checkpoint_ns AND w.checkpoint_id <> k.checkpoint_id`,
        );
        counts.checkpointWrites = w.rowCount ?? 0;
        // A blob stays while the kept checkpoint names its channel at that version.
        const b = await client.query(
          `DELETE FROM checkpoint_blobs b USING prune_keep k
           WHERE b.thread_id = k.thread_id AND b.checkpoint_ns = k.checkpoint_ns
             AND (k.checkpoint -> 'channel_versions' ->> b.channel) IS DISTINCT FROM b.version`,
        );
        counts.checkpointBlobs = b.rowCount ?? 0;
      }
      const m = await client.query("DELETE FROM messages WHERE created_at < $1 AND status <> 'queued'", [options.messagesBefore]);
      counts.messages = m.rowCount ?? 0;
      if (options.dryRun) throw new DryRun(counts);
      return counts;
    });
  } catch (err) {
    if (err instanceof DryRun) return err.counts;
    throw err;
  }
}
