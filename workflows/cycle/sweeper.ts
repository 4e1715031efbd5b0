import { digestOf } from "../../guardrails/audit-hash.js";
import { missingActivations, overdueQueuedMessages } from "../../store/sweep-repo.js";
import type { CycleDeps } from "./deps.js";
import { activateShard } from "./activation-shard.js";
import { sendMessage } from "./delivery.js";

/**
 * The sweeper: the safety net under the job queue. A job BullMQ gives up on (a worker killed twice
 * while holding it fails it as "stalled more than allowable limit"), or a job lost with Redis, must
 * not be a lost send. Each sweep:
 * 1. runs again every activation shard of an activated cycle that left treated customers without a
 *    message (activateShard is idempotent: messages have unique keys, send jobs fixed ids);
 * 2. sends every message still `queued` past its planned time plus a grace, through the same
 *    exactly-once path as a send job (sendMessage: the status is checked, the connector gets the
 *    dedupe key as its idempotency key, marking sent and the send entry commit together).
 * The grace keeps the sweeper off work a live job is doing; if both ever race, the guards above keep
 * it to one delivery. A sweep that found anything writes one audit entry with its counts (not one
 * per customer: each send has its own send entry already).
 */

export interface SweepOptions {
  /** Leave a message alone until this long after its planned send time (and its creation). */
  graceMs: number;
  /** Most messages one sweep sends (the next sweep takes the rest). */
  limit?: number;
  /** Treated customers per re-run activation shard. */
  shardSize?: number;
}

export interface SweepResult {
  /** Activation shards run again, and the messages they created. */
  activationShards: number;
  messagesCreated: number;
  /** Queued messages found overdue, and what sending them gave. */
  overdue: number;
  sent: number;
  deadLettered: number;
  alreadyDone: number;
  suppressed: number;
  failed: number;
  cycles: string[];
  errors: string[];
}

export const SWEEP_TOOL = "sweeper";

export async function sweepOnce(deps: CycleDeps, options: SweepOptions): Promise<SweepResult> {
  const result: SweepResult = {
    activationShards: 0,
    messagesCreated: 0,
    overdue: 0,
    sent: 0,
    deadLettered: 0,
    alreadyDone: 0,
    suppressed: 0,
    failed: 0,
    cycles: [],
    errors: [],
  };
  const cycles = new Set<string>();

  for (const shard of await missingActivations(deps.db, options.graceMs, options.shardSize ?? 1000)) {
    cycles.add(shard.cycleId);
    try {
      const r = await activateShard(deps, shard);
      result.activationShards++;
      result.messagesCreated += r.created;
    } catch (err) {
      result.errors.push(`activation ${shard.cycleId}/${shard.campaignId}#${shard.shard}: ${(err as Error).message}`);
    }
  }

  const overdue = await overdueQueuedMessages(deps.db, deps.clock.now(), options.graceMs, options.limit ?? 10_000);
  result.overdue = overdue.length;
  const outcomes = await Promise.allSettled(overdue.map((m) => sendMessage(deps, { messageId: m.messageId })));
  outcomes.forEach((o, i) => {
    cycles.add(overdue[i]!.cycleId);
    if (o.status === "rejected") {
      result.failed++;
      if (result.errors.length < 20)
        result.errors.push(`send ${overdue[i]!.messageId}: ${(o.reason as Error)?.message ?? String(o.reason)}`);
    } else if (o.value === "suppressed") result.suppressed++;
    else if (o.value === "dead_lettered") result.deadLettered++;
    else if (o.value.startsWith("already")) result.alreadyDone++;
    else result.sent++;
  });
  result.cycles = [...cycles].sort();

  if (result.activationShards + result.overdue + result.errors.length > 0) {
    await deps.audit.append({
      kind: "tool_call",
      actor: deps.actor,
      cycleId: result.cycles.length === 1 ? result.cycles[0]! : null,
      entry: {
        tool: SWEEP_TOOL,
        inputDigest: digestOf({ graceMs: options.graceMs, at: deps.clock.now().toISOString() }),
        outputDigest: digestOf(result),
        summary: summarize(result).slice(0, 500),
        ok: result.failed === 0 && result.errors.length === 0,
      },
    });
  }
  return result;
}

export function summarize(r: SweepResult): string {
  return (
    `sweep: ${r.activationShards} activation shard(s) re-run (${r.messagesCreated} messages created); ` +
    `${r.overdue} overdue queued message(s): ${r.sent} sent, ${r.deadLettered} dead-lettered, ${r.alreadyDone} already done, ${r.suppressed} suppressed, ${r.failed} failed` +
    (r.cycles.length ? `; cycles ${r.cycles.join(", ")}` : "")
  );
}

export interface PeriodicSweeper {
  /** Resolves once the sweep under way, if any, has finished. */
  stop(): Promise<void>;
}

/** Sweeps every `intervalMs` (the first after one interval), one sweep at a time; errors go to `onError`. */
export function startPeriodicSweep(
  deps: CycleDeps,
  options: SweepOptions & { intervalMs: number; onSweep?: (r: SweepResult) => void; onError?: (err: unknown) => void },
): PeriodicSweeper {
  let running: Promise<void> | undefined;
  let stopped = false;
  const tick = () => {
    if (running || stopped) return;
    running = sweepOnce(deps, options)
      .then((r) => options.onSweep?.(r))
      .catch((err: unknown) => options.onError?.(err))
      .finally(() => {
        running = undefined;
      });
  };
  const timer = setInterval(tick, options.intervalMs);
  timer.unref();
  return {
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
    },
  };
}
