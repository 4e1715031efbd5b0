import type { DeliveryResult } from "../../connectors/connector.js";
import { PulseError } from "../../core/errors.js";
import { createGroupCommit, type GroupCommit, type ItemOutcome } from "../../core/group-commit.js";
import { campaignsOf } from "../../store/cycles-repo.js";
import { consentsInForce } from "../../store/history-repo.js";
import { getMessages, lockMessages, markMessages, type MessageRow } from "../../store/messages-repo.js";
import { activeSuppressionRules } from "../../store/suppression-rules-repo.js";
import { pauseAtSend, windowEndedAtSend } from "./brief.js";
import { isRetryable } from "../jobs/retry-policy.js";
import { messageIdsOfSendJob } from "../jobs/types.js";
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
 * Send groups committed at once per process when more than a group's worth is waiting: each is its
 * own transaction on its own rows, so one delivers while another waits on the database.
 */
export const SEND_GROUPS_AT_ONCE = 3;

/**
 * Delivers a group of messages, at most once per dedupe key: consent is checked again at send time,
 * the connector gets the dedupe key as its idempotency key, and a message already sent is skipped.
 * Each message gets its own outcome (a delivery failure fails only that message).
 *
 * One transaction per group: it first locks the group's message rows (in id order, so two groups
 * never deadlock), then delivers the messages still queued, then marks them sent (or suppressed) and
 * appends their audit entries, one each, before it commits. Another process sending an overlapping
 * group (a sweep racing a job, two batches of a re-run activation) waits on the row locks and then
 * finds them sent, so no message is delivered by two workers at once. A worker killed before the
 * commit leaves them queued, and the retried jobs deliver again (the connector knows the keys) and
 * audit them once. If the transaction fails, every message of the group fails with its error and is
 * retried the same way.
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
  try {
    const recorded = await deps.db.transaction(async (client) => {
      const statusNow = await lockMessages(
        client,
        decisions.map((d) => d.message.message_id),
      );
      const mine = decisions.filter((d) => {
        const status = statusNow.get(d.message.message_id);
        if (status === "queued") return true;
        // Sent (or suppressed) by another worker since it was read above.
        outcomes.set(d.message.message_id, { ok: true, value: `already ${status ?? "gone"}` });
        return false;
      });
      const suppressed = mine.filter((d) => d.action === "suppress");
      const delivered = await deliverGranted(
        deps,
        mine.filter((d) => d.action === "send"),
        now,
        outcomes,
      );
      // Under the row locks every one of them is still queued, so each is marked and audited here.
      await markMessages(
        client,
        suppressed.map((d) => ({ messageId: d.message.message_id, status: "suppressed" })),
        null,
      );
      await markMessages(
        client,
        delivered.map(({ d, status }) => ({
          messageId: d.message.message_id,
          status: status === "dead_lettered" ? "dead_lettered" : "sent",
        })),
        now,
      );
      // Audit entries in the order the group was given, whatever order deliveries finished in; the
      // group's sends (and its suppressions) as one customer set each: one chain link, not hundreds.
      await deps.audit.appendInTransaction(
        client,
        [
          ...suppressed.map((d) => suppressionEntryOf(deps.actor, d)),
          ...delivered.map(({ d }) => sendEntryOf(deps.actor, d.message, d.consent)),
        ],
        { asSets: true },
      );
      return { suppressed, delivered };
    });
    for (const d of recorded.suppressed) outcomes.set(d.message.message_id, { ok: true, value: "suppressed" });
    for (const { d, status } of recorded.delivered) outcomes.set(d.message.message_id, { ok: true, value: status });
  } catch (error) {
    // Nothing of the transaction committed: what it was to mark stays queued, for the retry.
    for (const d of decisions) if (!outcomes.has(d.message.message_id)) outcomes.set(d.message.message_id, { ok: false, error });
  }
  return outcomes;
}

/**
 * Delivers the granted messages at once (in one call when the connector takes many); a failed
 * delivery gets its outcome here, the delivered come back in group order.
 */
async function deliverGranted(
  deps: CycleDeps,
  granted: readonly Extract<SendDecision, { action: "send" }>[],
  now: Date,
  outcomes: Map<string, SendOutcome>,
): Promise<{ d: Extract<SendDecision, { action: "send" }>; status: string }[]> {
  if (granted.length === 0) return [];
  const connector = deps.connector;
  const many = connector.deliverMany?.bind(connector);
  const results: (DeliveryResult | { thrown: unknown })[] = many
    ? await Promise.resolve()
        .then(() => many(granted.map((d) => outboundOf(d.message, now))))
        .catch((thrown: unknown) => granted.map(() => ({ thrown })))
    : await Promise.all(
        granted.map((d) =>
          Promise.resolve()
            .then(() => connector.deliver(outboundOf(d.message, now)))
            .catch((thrown: unknown) => ({ thrown })),
        ),
      );
  const delivered: { d: Extract<SendDecision, { action: "send" }>; status: string }[] = [];
  granted.forEach((d, i) => {
    const result = results[i]!;
    if ("thrown" in result) outcomes.set(d.message.message_id, { ok: false, error: result.thrown });
    else if (result.status === "failed")
      outcomes.set(d.message.message_id, {
        ok: false,
        error: new SendFailedError(
          `delivery of ${d.message.message_id} failed: ${result.error?.message ?? "unknown"}`,
          result.error?.retryable ?? true,
        ),
      });
    else delivered.push({ d, status: result.status });
  });
  return delivered;
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
 * Group commit for sends: the messages of every send job running in this process at the same
 * moment join one group (up to MAX_SEND_BATCH), delivered and recorded by one call to sendMessages,
 * so a run of thousands of sends costs a few queries and one audit transaction per group, not per
 * message; a backlog of more than a group goes out as up to SEND_GROUPS_AT_ONCE groups at once.
 * One group commit per set of dependencies, dropped with them.
 */
const sendGroups = new WeakMap<CycleDeps, GroupCommit<string, string>>();

/** Delivers one message (see sendMessages), grouped with the other sends running in this process. */
export function sendMessage(deps: CycleDeps, job: { messageId: string }): Promise<string> {
  return sendGroupsOf(deps).submit(job.messageId);
}

/**
 * A send job: its message, or its batch of messages, each delivered as sendMessage delivers one
 * (grouped with the other sends running in this process). A batch whose messages all went out (or
 * were found sent, or suppressed) completes with their counts; if any failed, the job fails once the
 * others are recorded, and its retry finds those already sent and sends only the rest.
 */
export async function sendJob(deps: CycleDeps, data: { messageId?: string; messageIds?: readonly string[] }): Promise<string> {
  if (data.messageIds === undefined && data.messageId !== undefined) return sendMessage(deps, { messageId: data.messageId });
  const ids = messageIdsOfSendJob(data);
  const settled = await Promise.allSettled(ids.map((id) => sendGroupsOf(deps).submit(id)));
  const counts = new Map<string, number>();
  const failures: { id: string; error: unknown }[] = [];
  settled.forEach((r, i) => {
    if (r.status === "rejected") failures.push({ id: ids[i]!, error: r.reason });
    else counts.set(r.value, (counts.get(r.value) ?? 0) + 1);
  });
  const summary = [...counts].map(([outcome, n]) => `${n} ${outcome}`).join(", ");
  if (failures.length > 0) {
    const first = failures[0]!;
    throw new SendFailedError(
      `${failures.length} of ${ids.length} messages failed (${summary || "none done"}); ${first.id}: ${(first.error as Error)?.message ?? String(first.error)}`,
      failures.some((f) => isRetryable(f.error)),
    );
  }
  return summary;
}

function sendGroupsOf(deps: CycleDeps): GroupCommit<string, string> {
  let groups = sendGroups.get(deps);
  if (!groups) {
    groups = createGroupCommit<string, string>({
      maxGroup: MAX_SEND_BATCH,
      gatherTurn: true,
      concurrency: SEND_GROUPS_AT_ONCE,
      commit: async (ids) => {
        const outcomes = await sendMessages(deps, ids);
        return ids.map((id) => outcomes.get(id)!);
      },
    });
    sendGroups.set(deps, groups);
  }
  return groups;
}
