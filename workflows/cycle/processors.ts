import { createHash } from "node:crypto";
import { chooseVariant, renderChecked } from "../../agents/copywriter/index.js";
import type { OutboundMessage } from "../../connectors/connector.js";
import { PulseError } from "../../core/errors.js";
import { campaignsOf, cycleAsOf } from "../../store/cycles-repo.js";
import { consentsInForce, type ConsentRecord } from "../../store/history-repo.js";
import { getMessages, insertMessages, markMessages, queuedMessagesFor, type MessageRow } from "../../store/messages-repo.js";
import { activeSuppressionRules } from "../../store/suppression-rules-repo.js";
import { treatedTargetsForShard } from "../../store/targets-repo.js";
import { pauseAtSend } from "./brief.js";
import type { ProcessorMap } from "../jobs/types.js";
import { sendQueueFor } from "../jobs/types.js";
import type { CycleDeps } from "./deps.js";
import { experimentIdOf, jobIds } from "./nodes/activate.js";
import { nextLocalHour } from "./planning.js";
import type { CycleService } from "./service.js";
import type { Campaign } from "./state.js";

export class SendFailedError extends PulseError {
  constructor(message: string, retryable: boolean) {
    super("SEND_FAILED", message, { retryable });
  }
}

/** Same (cycle, campaign, customer, channel), same key: the database refuses a second message. */
export const dedupeKeyOf = (cycleId: string, campaignId: string, customerId: string, channel: string) =>
  `${cycleId}|${campaignId}|${customerId}|${channel}`;
export const messageIdOf = (dedupeKey: string) => `m-${createHash("sha256").update(dedupeKey).digest("hex").slice(0, 24)}`;
const offerCode = (messageId: string) => `P${createHash("sha256").update(`offer|${messageId}`).digest("hex").slice(0, 8).toUpperCase()}`;
const UNSUBSCRIBE_BASE = "https://pulse.example/u/";

/** Builds the per-customer messages of one activation shard and hands each to its channel's send queue. */
export async function activateShard(
  deps: CycleDeps,
  job: { cycleId: string; campaignId: string; shard: number; shardCount: number },
): Promise<{ created: number; queued: number }> {
  const campaigns = await campaignsOf(deps.db, job.cycleId);
  const campaign = campaigns.find((c) => c.campaignId === job.campaignId);
  if (!campaign) throw new SendFailedError(`campaign ${job.campaignId} not found on cycle ${job.cycleId}`, false);
  const asOf = await cycleAsOf(deps.db, job.cycleId);
  if (!asOf) throw new SendFailedError(`cycle ${job.cycleId} not found`, false);
  const sendHour = campaign.sendHourLocal;
  // A brief's window start later than the as-of: the first send hour on or after it.
  const sendFrom = campaign.sendFrom && new Date(campaign.sendFrom) > asOf ? new Date(campaign.sendFrom) : asOf;
  const targets = await treatedTargetsForShard(
    deps.db,
    job.cycleId,
    experimentIdOf(job.cycleId),
    job.campaignId,
    job.shard,
    job.shardCount,
  );
  const messages = [];
  const failures = [];
  for (const t of targets) {
    const dedupeKey = dedupeKeyOf(job.cycleId, job.campaignId, t.customerId, campaign.channel);
    const messageId = messageIdOf(dedupeKey);
    const variant = chooseVariant(campaign.variants, { customerId: t.customerId, campaignId: job.campaignId });
    const unsubscribeUrl = `${UNSUBSCRIBE_BASE}${messageId}`;
    const rendered = renderChecked(
      { variantId: variant.variantId, channel: campaign.channel, fields: variant.fields as never },
      {
        first_name: t.firstName ?? undefined,
        category: campaign.category ?? t.topCategory ?? "our range",
        offer_code: offerCode(messageId),
        unsubscribe_url: unsubscribeUrl,
      },
      { offer: { depth: campaign.offerDepth } },
    );
    if (!rendered.ok) {
      failures.push({
        customerId: t.customerId,
        reason: rendered.error?.message ?? rendered.verdict?.issues.map((i) => i.message).join("; ") ?? "render failed",
      });
      continue;
    }
    messages.push({
      messageId,
      dedupeKey,
      cycleId: job.cycleId,
      campaignId: job.campaignId,
      customerId: t.customerId,
      channel: campaign.channel,
      strategy: campaign.strategy,
      offerDepth: campaign.offerDepth,
      templateId: variant.prompt ? `${variant.prompt.id}@v${variant.prompt.version}` : variant.variantId.replace(/\.\d+$/, ""),
      variantId: variant.variantId,
      propensity: t.propensity,
      content: {
        ...rendered.message.fields,
        unsubscribeUrl,
        // The plan's per-customer send time when it chose one (not before a brief's later start), else the campaign's hour.
        plannedAt: (t.plannedAt && t.plannedAt >= sendFrom ? t.plannedAt : nextLocalHour(sendFrom, t.timezone, sendHour)).toISOString(),
        prompt: variant.prompt ?? null,
      },
    });
  }
  if (failures.length) {
    await deps.audit.appendMany(
      failures.map((f) => ({
        kind: "suppression" as const,
        actor: deps.actor,
        cycleId: job.cycleId,
        customerId: f.customerId,
        entry: { channel: campaign.channel, reasonCode: "render_failed", reason: f.reason.slice(0, 1000) },
      })),
    );
  }
  const created = await insertMessages(deps.db, messages);
  // Every still-queued message of the shard gets its send job: a re-run after a crash re-enqueues
  // what was not sent, and the fixed job id keeps a message from being queued twice.
  const queued = await queuedMessagesFor(
    deps.db,
    job.campaignId,
    targets.map((t) => t.customerId),
  );
  const plannedAt = new Map(messages.map((m) => [m.messageId, (m.content as { plannedAt: string }).plannedAt]));
  for (const q of queued) {
    const at = plannedAt.get(q.messageId);
    const delayMs = at ? Math.max(0, new Date(at).getTime() - deps.clock.now().getTime()) : 0;
    await deps.runner.enqueue(
      sendQueueFor(campaign.channel),
      { cycleId: job.cycleId, campaignId: job.campaignId, customerId: q.customerId, variantId: q.variantId, messageId: q.messageId },
      { jobId: jobIds.send(q.messageId), delayMs },
    );
  }
  return { created: created.size, queued: queued.length };
}

function outbound(m: MessageRow, sentAt: Date): OutboundMessage {
  const c = m.content as Record<string, string>;
  const base = {
    messageId: m.message_id,
    dedupeKey: m.dedupe_key,
    cycleId: m.cycle_id,
    campaignId: m.campaign_id,
    customerId: m.customer_id,
    sentAt: sentAt.toISOString(),
  };
  const cta = (label?: string) => (label ? { label, url: `https://pulse.example/c/${m.message_id}` } : undefined);
  switch (m.channel) {
    case "email":
      return {
        ...base,
        channel: "email",
        content: {
          subject: c.subject!,
          preheader: c.preheader ?? "",
          body: c.body!,
          ...(c.cta ? { cta: cta(c.cta)! } : {}),
          unsubscribeUrl: c.unsubscribeUrl!,
        },
      };
    case "sms":
      return { ...base, channel: "sms", content: { text: c.text! } };
    case "push":
      return { ...base, channel: "push", content: { title: c.title!, body: c.body! } };
    default:
      return { ...base, channel: "in_app", content: { title: c.title!, body: c.body!, cta: cta(c.cta ?? "Open")! } };
  }
}

type SendOutcome = { ok: true; result: string } | { ok: false; error: unknown };

/** Most messages one send transaction covers. */
export const MAX_SEND_BATCH = 500;

/**
 * How an in-process runner of the cycle runs jobs at once. Send jobs mostly wait on the database,
 * and the sends running at the same moment are grouped into one transaction (SendGroups), so more
 * of them at once means fewer, larger groups. Activation shards each hold a shard's messages in
 * memory, so fewer of them run at once.
 */
export const IN_PROCESS_RUNNER_OPTIONS = { concurrency: 512, queueConcurrency: { activation: 16 } } as const;

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
    else if (m.status !== "queued") outcomes.set(id, { ok: true, result: `already ${m.status}` });
    else queued.push(m);
  }
  if (queued.length === 0) return outcomes;
  const now = deps.clock.now();
  const consents = await consentsInForce(
    deps.db,
    queued.map((m) => ({ customerId: m.customer_id, channel: m.channel })),
    "marketing",
    now,
  );
  const consentOf = (m: MessageRow) => consents.get(`${m.customer_id}|${m.channel}`);
  // Pauses created after planning stop the messages already queued: the rule in force now, by segment and channel.
  const rules = await activeSuppressionRules(deps.db, now);
  const segmentOf = new Map<string, string>();
  if (rules.length > 0)
    for (const cycleId of new Set(queued.map((m) => m.cycle_id)))
      for (const c of await campaignsOf(deps.db, cycleId)) segmentOf.set(c.campaignId, c.segmentId);
  const pausedBy = new Map(
    queued.flatMap((m) => {
      const r = consentOf(m)?.status === "granted" ? pauseAtSend(rules, segmentOf.get(m.campaign_id), m.channel, now) : null;
      return r ? [[m.message_id, r] as const] : [];
    }),
  );

  // Consent withdrawn since planning: suppressed, never delivered. The status change and its audit
  // entry commit together, so no suppression is left unexplained (a retried job sees the status).
  const withdrawn = queued.filter((m) => consentOf(m)?.status !== "granted" || pausedBy.has(m.message_id));
  if (withdrawn.length > 0) {
    await deps.db.transaction(async (client) => {
      const changed = await markMessages(
        client,
        withdrawn.map((m) => ({ messageId: m.message_id, status: "suppressed" })),
        null,
      );
      await deps.audit.appendInTransaction(
        client,
        withdrawn
          .filter((m) => changed.has(m.message_id))
          .map((m) => ({
            kind: "suppression" as const,
            actor: deps.actor,
            cycleId: m.cycle_id,
            customerId: m.customer_id,
            entry: pausedBy.has(m.message_id)
              ? {
                  channel: m.channel,
                  reasonCode: "paused_before_send",
                  reason: `paused at send time by ${pausedBy.get(m.message_id)!.createdBy}${
                    pausedBy.get(m.message_id)!.until ? ` until ${pausedBy.get(m.message_id)!.until!.toISOString()}` : ""
                  } (rule ${pausedBy.get(m.message_id)!.ruleId}: ${pausedBy.get(m.message_id)!.reason})`.slice(0, 1000),
                }
              : {
                  channel: m.channel,
                  reasonCode: "consent_revoked_before_send",
                  reason: `no granted marketing consent for ${m.channel} at send time`,
                },
          })),
      );
    });
    for (const m of withdrawn) outcomes.set(m.message_id, { ok: true, result: "suppressed" });
  }

  const granted = queued.filter((m) => consentOf(m)?.status === "granted" && !pausedBy.has(m.message_id));
  const delivered: { m: MessageRow; status: string }[] = [];
  await Promise.all(
    granted.map(async (m) => {
      try {
        const result = await deps.connector.deliver(outbound(m, now));
        if (result.status === "failed")
          throw new SendFailedError(
            `delivery of ${m.message_id} failed: ${result.error?.message ?? "unknown"}`,
            result.error?.retryable ?? true,
          );
        delivered.push({ m, status: result.status });
      } catch (error) {
        outcomes.set(m.message_id, { ok: false, error });
      }
    }),
  );
  if (delivered.length === 0) return outcomes;
  // Audit entries in the order the group was given, whatever order deliveries finished in.
  const order = new Map(ids.map((id, i) => [id, i]));
  delivered.sort((a, b) => order.get(a.m.message_id)! - order.get(b.m.message_id)!);
  try {
    // Marked sent and audited in one transaction: a worker killed between the two would otherwise
    // leave a sent message without its send entry, and the retried job stops at "already sent".
    const marked = await deps.db.transaction(async (client) => {
      const changed = await markMessages(
        client,
        delivered.map((d) => ({ messageId: d.m.message_id, status: d.status === "dead_lettered" ? "dead_lettered" : "sent" })),
        now,
      );
      await deps.audit.appendInTransaction(
        client,
        delivered.filter((d) => changed.has(d.m.message_id)).map((d) => sendEntryOf(deps, d.m, consentOf(d.m)!)),
      );
      return changed;
    });
    for (const d of delivered) outcomes.set(d.m.message_id, { ok: true, result: marked.has(d.m.message_id) ? d.status : "already sent" });
  } catch (error) {
    for (const d of delivered) outcomes.set(d.m.message_id, { ok: false, error });
  }
  return outcomes;
}

function sendEntryOf(deps: CycleDeps, m: MessageRow, consent: ConsentRecord) {
  const prompt = (m.content as { prompt?: { id: string; version: number; hash: string } | null }).prompt ?? null;
  return {
    kind: "send" as const,
    actor: deps.actor,
    cycleId: m.cycle_id,
    customerId: m.customer_id,
    entry: {
      channel: m.channel,
      messageId: m.message_id,
      dedupeKey: m.dedupe_key,
      campaignId: m.campaign_id,
      templateId: m.template_id,
      variantId: m.variant_id,
      prompt,
      offer: { type: Number(m.offer_depth) > 0 ? "percent_off" : "none", depth: Number(m.offer_depth) },
      consentBasis: {
        channel: m.channel,
        purpose: "marketing" as const,
        status: "granted" as const,
        source: consent.source,
        recordedAt: consent.recordedAt.toISOString(),
      },
    },
  };
}

/**
 * Group commit for sends: every send job running in this process at the same moment joins one
 * group (up to MAX_SEND_BATCH), delivered and recorded by one call to sendMessages, so a run of
 * thousands of send jobs costs a few queries and one audit transaction per group, not per message.
 * Jobs stay one per message, so queue rate limits, job ids and retries work per message as before.
 */
class SendGroups {
  readonly #deps: CycleDeps;
  #waiting: { messageId: string; resolve: (r: string) => void; reject: (e: unknown) => void }[] = [];
  #draining = false;

  constructor(deps: CycleDeps) {
    this.#deps = deps;
  }

  send(messageId: string): Promise<string> {
    return new Promise<string>((resolve, reject) => {
      this.#waiting.push({ messageId, resolve, reject });
      if (!this.#draining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#draining = true;
    try {
      // Let the jobs started in the same turn join the first group.
      await new Promise<void>((resolve) => setImmediate(resolve));
      while (this.#waiting.length > 0) {
        const group = this.#waiting.splice(0, MAX_SEND_BATCH);
        try {
          const outcomes = await sendMessages(
            this.#deps,
            group.map((w) => w.messageId),
          );
          for (const w of group) {
            const o = outcomes.get(w.messageId)!;
            if (o.ok) w.resolve(o.result);
            else w.reject(o.error);
          }
        } catch (err) {
          for (const w of group) w.reject(err);
        }
      }
    } finally {
      this.#draining = false;
    }
  }
}

const sendGroups = new WeakMap<CycleDeps, SendGroups>();

/** Delivers one message (see sendMessages), grouped with the other sends running in this process. */
export function sendMessage(deps: CycleDeps, job: { messageId: string }): Promise<string> {
  let groups = sendGroups.get(deps);
  if (!groups) sendGroups.set(deps, (groups = new SendGroups(deps)));
  return groups.send(job.messageId);
}

/** The cycle a cycle job without a cycle id starts: derived from the job id, so each retry finds the same cycle. */
export function cycleIdForJob(jobId: string): string {
  return `c-job-${createHash("sha256").update(jobId).digest("hex").slice(0, 12)}`;
}

/** The processors BullMQ workers and the in-process runner both call. */
export function cycleProcessors(deps: CycleDeps, service: CycleService): ProcessorMap {
  const send = async (data: { messageId: string }) => sendMessage(deps, data);
  return {
    cycle: async (data, ctx) => {
      if (data.kind === "resume") return `${data.cycleId}: ${(await service.resume(data.cycleId!)).state.status}`;
      // Each tick first settles the human gate: decisions not yet carried out, requests that expired.
      const settled = data.trigger === "schedule" ? await service.settleApprovals() : [];
      // A retried job (the worker died, or a step failed) must not start a second cycle for the same tick.
      const { cycleId, state } = await service.start({
        requestedBy: `scheduler:${data.trigger}`,
        cycleId: data.cycleId ?? cycleIdForJob(ctx.jobId),
      });
      return `${cycleId}: ${state.status}${settled.length ? `; settled the approvals of ${settled.join(", ")}` : ""}`;
    },
    activation: (data) => activateShard(deps, data),
    "send-email": send,
    "send-sms": send,
    "send-push": send,
    "send-in_app": send,
    measure: async (data) => (await service.closeWindow(data.cycleId)).state.status,
  };
}
