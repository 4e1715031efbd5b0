import path from "node:path";
import type { Connector } from "../connectors/connector.js";
import { createConnector } from "../connectors/create-connector.js";
import { appendResolution, readOpenDeadLetters, type OpenDeadLetter } from "../connectors/dead-letter-log.js";
import { systemClock, type Clock } from "../core/clock.js";
import type { Config } from "../core/config.js";
import { ConfigError } from "../core/errors.js";
import type { Actor } from "../core/roles.js";
import type { AuditLog } from "../guardrails/audit.js";
import type { Db } from "../store/db.js";
import { markReplayedSent } from "../store/dead-letters-repo.js";

/**
 * Dead letters of the webhook connector, listed and replayed (`pulse deliveries list|retry`).
 * A replay sends the stored message as it was, with the same Idempotency-Key, so an endpoint that
 * had in fact accepted it (a timeout after acceptance, a crash after delivery) does not take it twice.
 * Order per message: deliver, then mark it sent and audit in one transaction, then append the
 * resolution; a crash in between leaves the dead letter open and the next replay is deduped by the key.
 */

/** Where the webhook connector dead-letters, in the data directory. */
export const deadLetterPathOf = (config: Pick<Config, "PULSE_DATA_DIR">) => path.join(config.PULSE_DATA_DIR, "dead-letter.jsonl");

/** The connector replays go through: the configured webhook, without a dead-letter sink (a failed replay leaves the letter open). */
export function replayConnectorFromConfig(config: Config): Connector {
  if (!config.PULSE_WEBHOOK_URL || !config.PULSE_WEBHOOK_SECRET)
    throw new ConfigError("PULSE_WEBHOOK_URL", "replaying dead letters needs PULSE_WEBHOOK_URL and PULSE_WEBHOOK_SECRET");
  return createConnector({ kind: "webhook", url: config.PULSE_WEBHOOK_URL, secret: config.PULSE_WEBHOOK_SECRET });
}

export interface DeadLetterView {
  id: string;
  dedupeKey: string;
  cycleId: string;
  customerId: string;
  channel: string;
  deadLetteredAt: string;
  attempts: number;
  incidents: number;
  reason: string;
}

const reasonText = (d: OpenDeadLetter) => `${d.reason.code}: ${d.reason.message}`.slice(0, 1000);

export function viewOf(d: OpenDeadLetter): DeadLetterView {
  const m = d.message;
  return {
    id: m.messageId,
    dedupeKey: m.dedupeKey,
    cycleId: m.cycleId,
    customerId: m.customerId,
    channel: m.channel,
    deadLetteredAt: d.deadLetteredAt,
    attempts: d.attempts,
    incidents: d.incidents,
    reason: reasonText(d),
  };
}

export async function listDeadLetters(deadLetterPath: string): Promise<{ deadLetters: DeadLetterView[]; skippedLines: number }> {
  const { open, skipped } = await readOpenDeadLetters(deadLetterPath);
  return { deadLetters: open.map(viewOf), skippedLines: skipped };
}

export interface ReplayDeps {
  db: Db;
  audit: AuditLog;
  connector: Connector;
  actor: Actor;
  clock?: Clock;
}

export type ReplaySelection = { ids: readonly string[] } | { all: true };

export interface ReplayOutcome {
  id: string;
  outcome: "delivered" | "failed" | "not_found";
  attempts: number;
  /** Whether the messages row went dead_lettered → sent (false when it is not in this database). */
  markedSent: boolean;
  error?: string;
}

/** Replays the selected open dead letters one after another; each replay is audited. */
export async function replayDeadLetters(deadLetterPath: string, selection: ReplaySelection, deps: ReplayDeps): Promise<ReplayOutcome[]> {
  const clock = deps.clock ?? systemClock;
  const { open } = await readOpenDeadLetters(deadLetterPath);
  const byId = new Map(open.map((d) => [d.message.messageId, d]));
  const chosen: (OpenDeadLetter | string)[] = "all" in selection ? open : selection.ids.map((id) => byId.get(id) ?? id);
  const outcomes: ReplayOutcome[] = [];
  for (const d of chosen) {
    if (typeof d === "string") {
      outcomes.push({ id: d, outcome: "not_found", attempts: 0, markedSent: false });
      continue;
    }
    const m = d.message;
    const result = await deps.connector.deliver(m);
    const at = clock.now();
    const delivered = result.status === "delivered";
    const error = delivered ? undefined : (result.error?.message ?? result.status).slice(0, 1000);
    const markedSent = await deps.db.transaction(async (client) => {
      const marked = delivered ? await markReplayedSent(client, m.messageId, at) : false;
      await deps.audit.appendInTransaction(client, [
        {
          kind: "delivery_replay",
          actor: deps.actor.id,
          cycleId: m.cycleId,
          customerId: m.customerId,
          at,
          entry: {
            messageId: m.messageId,
            dedupeKey: m.dedupeKey,
            connector: deps.connector.name,
            outcome: delivered ? "delivered" : "failed",
            attempts: result.attempts,
            deadLetterReason: reasonText(d),
            ...(error === undefined ? {} : { error }),
          },
        },
      ]);
      return marked;
    });
    if (delivered)
      await appendResolution(deadLetterPath, {
        messageId: m.messageId,
        dedupeKey: m.dedupeKey,
        replayedAt: at.toISOString(),
        by: deps.actor.id,
        attempts: result.attempts,
      });
    outcomes.push({
      id: m.messageId,
      outcome: delivered ? "delivered" : "failed",
      attempts: result.attempts,
      markedSent,
      ...(error === undefined ? {} : { error }),
    });
  }
  return outcomes;
}
