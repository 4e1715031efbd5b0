import { PulseError } from "../../core/errors.js";
import { createGroupCommit, type GroupCommit, type ItemOutcome } from "../../core/group-commit.js";
import { campaignsOf } from "../../store/cycles-repo.js";
import { consentsInForce } from "../../store/history-repo.js";
import { getMessages, markMessages, type MessageRow } from "../../store/messages-repo.js";
import { activeSuppressionRules } from "../../store/suppression-rules-repo.js";
import { pauseAtSend, windowEndedAtSend } from "./brief.js";
import type { CycleDeps } from "./deps.js";
import { decideSend, outboundOf, sendEntryOf, suppressionEntryOf, type SendDecision } from "./steps/send-decisions.js";

export class SendFailedError extends PulseError {
  constructor(message: string, retryable: boolean) {
    super("SEND_FAILED", message, { retryable });
  }
}

/** What sending one message came to: its result (sent, suppressed, already sent, ...), or its error. */
export type SendOutcome = ItemOutcome<string>;

/** Most messages one send transaction covers. */
export const MAX_SEND_BATCH = 500;

/**
 * Delivers a group of messages, at most once per dedupe key: consent is checked again at send time,
 * the connector gets the dedupe key as its idempotency key, and a message already sent is skipped.
 * Each message gets its own outcome (a delivery failure fails only that message). The messages a
 * group delivers are marked sent and audited, one send entry each, in one transaction: a worker
 * killed between delivery and that commit leaves them queued, and the retried jobs deliver again
 * (the connector knows the keys) and audit them once. If the transaction fails, every message of
 * the group fails with its error and is retried the same way.
 */
export async function sendMessages(deps: CycleDeps, messageIds: readonly string[]): Promise<Map<string, SendOutcome>> {
  const outcomes = new Map<string, SendOutcome>();
  const ids = [...new Set(messageIds)];
  const found = await getMessages(deps.db, ids);
  const queued: MessageRow[] = [];
  for (const id of ids) {
    const m = found.get(id);
    if (!m) outcomes.set(id, { ok: false, error: new SendFailedError(`message ${id} not found`, false) });
    else if (m.status !== "queued") outcomes.set(id, { ok: true, value: `already ${m.status}` });
    else queued.push(m);
  }
  if (queued.length === 0) return outcomes;

  const now = deps.clock.now();
  const decisions = await decideSends(deps, queued, now);
  const suppressed = decisions.filter((d) => d.action === "suppress");
  const granted = decisions.filter((d) => d.action === "send");

  // The status change and its audit entry commit together, so no suppression is left unexplained
  // (a retried job sees the status).
  if (suppressed.length > 0) {
    await deps.db.transaction(async (client) => {
      const changed = await markMessages(
        client,
        suppressed.map((d) => ({ messageId: d.message.message_id, status: "suppressed" })),
        null,
      );
      await deps.audit.appendInTransaction(
        client,
        suppressed.filter((d) => changed.has(d.message.message_id)).map((d) => suppressionEntryOf(deps.actor, d)),
      );
    });
    for (const d of suppressed) outcomes.set(d.message.message_id, { ok: true, value: "suppressed" });
  }

  const delivered: { d: (typeof granted)[number]; status: string }[] = [];
  await Promise.all(
    granted.map(async (d) => {
      try {
        const result = await deps.connector.deliver(outboundOf(d.message, now));
        if (result.status === "failed")
          throw new SendFailedError(
            `delivery of ${d.message.message_id} failed: ${result.error?.message ?? "unknown"}`,
            result.error?.retryable ?? true,
          );
        delivered.push({ d, status: result.status });
      } catch (error) {
        outcomes.set(d.message.message_id, { ok: false, error });
      }
    }),
  );
  if (delivered.length === 0) return outcomes;
  // Audit entries in the order the group was given, whatever order deliveries finished in.
  const order = new Map(ids.map((id, i) => [id, i]));
  delivered.sort((a, b) => order.get(a.d.message.message_id)! - order.get(b.d.message.message_id)!);
  try {
    // Marked sent and audited in one transaction: a worker killed between the two would otherwise
    // leave a sent message without its send entry, and the retried job stops at "already sent".
    const marked = await deps.db.transaction(async (client) => {
      const changed = await markMessages(
        client,
        delivered.map(({ d, status }) => ({
          messageId: d.message.message_id,
          status: status === "dead_lettered" ? "dead_lettered" : "sent",
        })),
        now,
      );
      await deps.audit.appendInTransaction(
        client,
        delivered.filter(({ d }) => changed.has(d.message.message_id)).map(({ d }) => sendEntryOf(deps.actor, d.message, d.consent)),
      );
      return changed;
    });
    for (const { d, status } of delivered)
      outcomes.set(d.message.message_id, { ok: true, value: marked.has(d.message.message_id) ? status : "already sent" });
  } catch (error) {
    for (const { d } of delivered) outcomes.set(d.message.message_id, { ok: false, error });
  }
  return outcomes;
}

/** Loads what the send-time checks need (consent in force, pauses, the campaigns' segments and window ends) and decides each message. */
async function decideSends(deps: CycleDeps, queued: readonly MessageRow[], now: Date): Promise<SendDecision[]> {
  const consents = await consentsInForce(
    deps.db,
    queued.map((m) => ({ customerId: m.customer_id, channel: m.channel })),
    "marketing",
    now,
  );
  const rules = await activeSuppressionRules(deps.db, now);
  const segmentOf = new Map<string, string>();
  const windowEnded = new Map<string, string>();
  for (const cycleId of new Set(queued.map((m) => m.cycle_id)))
    for (const c of await campaignsOf(deps.db, cycleId)) {
      segmentOf.set(c.campaignId, c.segmentId);
      const ended = windowEndedAtSend(c.sendUntil, now);
      if (ended) windowEnded.set(c.campaignId, ended);
    }
  return queued.map((m) =>
    decideSend(
      m,
      consents.get(`${m.customer_id}|${m.channel}`),
      rules.length > 0 ? pauseAtSend(rules, segmentOf.get(m.campaign_id), m.channel, now) : null,
      windowEnded.get(m.campaign_id) ?? null,
    ),
  );
}

/**
 * Group commit for sends: every send job running in this process at the same moment joins one
 * group (up to MAX_SEND_BATCH), delivered and recorded by one call to sendMessages, so a run of
 * thousands of send jobs costs a few queries and one audit transaction per group, not per message.
 * Jobs stay one per message, so queue rate limits, job ids and retries work per message as before.
 * One group commit per set of dependencies, dropped with them.
 */
const sendGroups = new WeakMap<CycleDeps, GroupCommit<string, string>>();

/** Delivers one message (see sendMessages), grouped with the other sends running in this process. */
export function sendMessage(deps: CycleDeps, job: { messageId: string }): Promise<string> {
  let groups = sendGroups.get(deps);
  if (!groups) {
    groups = createGroupCommit<string, string>({
      maxGroup: MAX_SEND_BATCH,
      gatherTurn: true,
      commit: async (ids) => {
        const outcomes = await sendMessages(deps, ids);
        return ids.map((id) => outcomes.get(id)!);
      },
    });
    sendGroups.set(deps, groups);
  }
  return groups.submit(job.messageId);
}
