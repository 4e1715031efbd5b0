import { createHash } from "node:crypto";
import { chooseVariant, renderChecked } from "../../agents/copywriter/index.js";
import type { OutboundMessage } from "../../connectors/connector.js";
import { PulseError } from "../../core/errors.js";
import { campaignsOf, consentInForce, getMessage, insertMessages, markSent, queuedMessagesFor, treatedTargetsForShard } from "../../store/cycle-repo.js";
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
export const dedupeKeyOf = (cycleId: string, campaignId: string, customerId: string, channel: string) => `${cycleId}|${campaignId}|${customerId}|${channel}`;
export const messageIdOf = (dedupeKey: string) => `m-${createHash("sha256").update(dedupeKey).digest("hex").slice(0, 24)}`;
const offerCode = (messageId: string) => `P${createHash("sha256").update(`offer|${messageId}`).digest("hex").slice(0, 8).toUpperCase()}`;
const UNSUBSCRIBE_BASE = "https://pulse.example/u/";

/** Builds the per-customer messages of one activation shard and hands each to its channel's send queue. */
export async function activateShard(deps: CycleDeps, job: { cycleId: string; campaignId: string; shard: number; shardCount: number }): Promise<{ created: number; queued: number }> {
  const campaigns = (await campaignsOf(deps.db, job.cycleId)) as Campaign[];
  const campaign = campaigns.find((c) => c.campaignId === job.campaignId);
  if (!campaign) throw new SendFailedError(`campaign ${job.campaignId} not found on cycle ${job.cycleId}`, false);
  const { rows: cyc } = await deps.db.pool.query<{ as_of: Date }>("SELECT as_of FROM cycles WHERE cycle_id = $1", [job.cycleId]);
  const asOf = cyc[0]!.as_of;
  const sendHour = campaign.sendHourLocal;
  const targets = await treatedTargetsForShard(deps.db, job.cycleId, experimentIdOf(job.cycleId), job.campaignId, job.shard, job.shardCount);
  const messages = [];
  const failures = [];
  for (const t of targets) {
    const dedupeKey = dedupeKeyOf(job.cycleId, job.campaignId, t.customerId, campaign.channel);
    const messageId = messageIdOf(dedupeKey);
    const variant = chooseVariant(campaign.variants, { customerId: t.customerId, campaignId: job.campaignId });
    const unsubscribeUrl = `${UNSUBSCRIBE_BASE}${messageId}`;
    const rendered = renderChecked(
      { variantId: variant.variantId, channel: campaign.channel as "email", fields: variant.fields as never },
      { first_name: t.firstName ?? undefined, category: t.topCategory ?? "our range", offer_code: offerCode(messageId), unsubscribe_url: unsubscribeUrl },
      { offer: { depth: campaign.offerDepth } },
    );
    if (!rendered.ok) {
      failures.push({ customerId: t.customerId, reason: rendered.error?.message ?? rendered.verdict?.issues.map((i) => i.message).join("; ") ?? "render failed" });
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
      content: { ...rendered.message.fields, unsubscribeUrl, plannedAt: nextLocalHour(asOf, t.timezone, sendHour).toISOString(), prompt: variant.prompt ?? null },
    });
  }
  if (failures.length) {
    await deps.audit.appendMany(
      failures.map((f) => ({ kind: "suppression" as const, actor: deps.actor, cycleId: job.cycleId, customerId: f.customerId, entry: { channel: campaign.channel as "email", reasonCode: "render_failed", reason: f.reason.slice(0, 1000) } })),
    );
  }
  const created = await insertMessages(deps.db, messages);
  // Every still-queued message of the shard gets its send job: a re-run after a crash re-enqueues
  // what was not sent, and the fixed job id keeps a message from being queued twice.
  const queued = await queuedMessagesFor(deps.db, job.campaignId, targets.map((t) => t.customerId));
  const plannedAt = new Map(messages.map((m) => [m.messageId, (m.content as { plannedAt: string }).plannedAt]));
  for (const q of queued) {
    const at = plannedAt.get(q.messageId);
    const delayMs = at ? Math.max(0, new Date(at).getTime() - deps.clock.now().getTime()) : 0;
    await deps.runner.enqueue(
      sendQueueFor(campaign.channel as "email"),
      { cycleId: job.cycleId, campaignId: job.campaignId, customerId: q.customerId, variantId: q.variantId, messageId: q.messageId },
      { jobId: jobIds.send(q.messageId), delayMs },
    );
  }
  return { created: created.size, queued: queued.length };
}

function outbound(m: NonNullable<Awaited<ReturnType<typeof getMessage>>>, sentAt: Date): OutboundMessage {
  const c = m.content as Record<string, string>;
  const base = { messageId: m.message_id, dedupeKey: m.dedupe_key, cycleId: m.cycle_id, campaignId: m.campaign_id, customerId: m.customer_id, sentAt: sentAt.toISOString() };
  const cta = (label?: string) => (label ? { label, url: `https://pulse.example/c/${m.message_id}` } : undefined);
  switch (m.channel) {
    case "email":
      return { ...base, channel: "email", content: { subject: c.subject!, preheader: c.preheader ?? "", body: c.body!, ...(c.cta ? { cta: cta(c.cta)! } : {}), unsubscribeUrl: c.unsubscribeUrl! } };
    case "sms":
      return { ...base, channel: "sms", content: { text: c.text! } };
    case "push":
      return { ...base, channel: "push", content: { title: c.title!, body: c.body! } };
    default:
      return { ...base, channel: "in_app", content: { title: c.title!, body: c.body!, cta: cta(c.cta ?? "Open")! } };
  }
}

/**
 * Delivers one message, at most once per dedupe key: consent is checked again at send time, the
 * connector gets the dedupe key as its idempotency key, and a message already sent is skipped.
 */
export async function sendMessage(deps: CycleDeps, job: { messageId: string }): Promise<string> {
  const m = await getMessage(deps.db, job.messageId);
  if (!m) throw new SendFailedError(`message ${job.messageId} not found`, false);
  if (m.status !== "queued") return `already ${m.status}`;
  const now = deps.clock.now();
  const consent = await consentInForce(deps.db, m.customer_id, m.channel, "marketing", now);
  if (consent?.status !== "granted") {
    // The status change and its audit entry commit together: a crash between them would leave a
    // suppression nobody can explain (a retried job sees the status and stops).
    await deps.db.transaction(async (client) => {
      const r = await client.query("UPDATE messages SET status = 'suppressed' WHERE message_id = $1 AND status = 'queued'", [m.message_id]);
      if ((r.rowCount ?? 0) === 0) return;
      await deps.audit.appendInTransaction(client, [{ kind: "suppression", actor: deps.actor, cycleId: m.cycle_id, customerId: m.customer_id, entry: { channel: m.channel as "email", reasonCode: "consent_revoked_before_send", reason: `no granted marketing consent for ${m.channel} at send time` } }]);
    });
    return "suppressed";
  }
  const result = await deps.connector.deliver(outbound(m, now));
  if (result.status === "failed") throw new SendFailedError(`delivery of ${m.message_id} failed: ${result.error?.message ?? "unknown"}`, result.error?.retryable ?? true);
  const prompt = (m.content as { prompt?: { id: string; version: number; hash: string } | null }).prompt ?? null;
  const sendEntry = {
    kind: "send" as const,
    actor: deps.actor,
    cycleId: m.cycle_id,
    customerId: m.customer_id,
    entry: {
      channel: m.channel as "email",
      messageId: m.message_id,
      dedupeKey: m.dedupe_key,
      campaignId: m.campaign_id,
      templateId: m.template_id,
      variantId: m.variant_id,
      prompt,
      offer: { type: Number(m.offer_depth) > 0 ? "percent_off" : "none", depth: Number(m.offer_depth) },
      consentBasis: { channel: m.channel as "email", purpose: "marketing" as const, status: "granted" as const, source: consent.source, recordedAt: consent.recordedAt.toISOString() },
    },
  };
  // Marked sent and audited in one transaction: a worker killed between the two would otherwise
  // leave a sent message without its send entry, and the retried job stops at "already sent".
  const marked = await deps.db.transaction(async (client) => {
    if (!(await markSent(deps.db, m.message_id, now, result.status === "dead_lettered" ? "dead_lettered" : "sent", client))) return false;
    await deps.audit.appendInTransaction(client, [sendEntry]);
    return true;
  });
  if (!marked) return "already sent";
  return result.status;
}

/** The processors BullMQ workers and the in-process runner both call. */
export function cycleProcessors(deps: CycleDeps, service: CycleService): ProcessorMap {
  const send = async (data: { messageId: string }) => sendMessage(deps, data);
  return {
    cycle: async (data) => {
      if (data.kind === "resume") return (await service.get(data.cycleId!)).state.status;
      const { cycleId, state } = await service.start({ requestedBy: `scheduler:${data.trigger}`, ...(data.cycleId ? { cycleId: data.cycleId } : {}) });
      return `${cycleId}: ${state.status}`;
    },
    activation: (data) => activateShard(deps, data),
    "send-email": send,
    "send-sms": send,
    "send-push": send,
    "send-in_app": send,
    measure: async (data) => (await service.closeWindow(data.cycleId)).state.status,
  };
}

// The worker command builds processors from configuration through the wiring module.
export { createCycleProcessors } from "./wiring.js";
