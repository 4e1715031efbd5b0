import { chooseVariant, renderChecked } from "../../../agents/copywriter/index.js";
import type { Campaign } from "../../../core/domain.js";
import type { NewMessage } from "../../../store/messages-repo.js";
import { dedupeKeyOf, messageIdOf, offerCodeOf } from "../ids.js";
import { nextLocalHour } from "../planning.js";

/**
 * The pure steps of activation: which shards a cycle's campaigns split into, and the per-customer
 * messages of one shard. No database: activation-shard.ts loads and saves around them.
 */

const UNSUBSCRIBE_BASE = "https://pulse.example/u/";

export interface ShardJob {
  cycleId: string;
  campaignId: string;
  shard: number;
  shardCount: number;
}

/** The activation shards of a cycle's campaigns: each campaign's treated customers in shards of at most `shardSize`. */
export function planShards(
  cycleId: string,
  campaigns: readonly Pick<Campaign, "campaignId">[],
  treatedByCampaign: ReadonlyMap<string, number>,
  shardSize: number,
): (ShardJob & { campaignIndex: number })[] {
  return campaigns.flatMap((c, campaignIndex) => {
    const treated = treatedByCampaign.get(c.campaignId) ?? 0;
    if (treated <= 0) return [];
    const shardCount = Math.max(1, Math.ceil(treated / shardSize));
    return Array.from({ length: shardCount }, (_, shard) => ({ cycleId, campaignId: c.campaignId, campaignIndex, shard, shardCount }));
  });
}

/** A treated customer of a shard, as the targets repo returns them. */
export interface ShardTarget {
  customerId: string;
  firstName: string | null;
  timezone: string;
  topCategory: string | null;
  /** The cross-sell product the plan recommended for the customer (tools/recommend.ts), if any. */
  recommendedSku?: string | null;
  /** The send time the plan chose for the customer (their own hour), if it chose one. */
  plannedAt?: Date | null;
  /** The probability the plan's bandit drew the customer's offer with, if it drew one. */
  propensity?: number | null;
}

export interface ShardMessages {
  /** One message per customer whose copy rendered and passed QA, with its planned send time. */
  messages: (NewMessage & { plannedAt: string })[];
  /** Customers whose copy did not render or failed QA: suppressed, with the reason. */
  failures: { customerId: string; reason: string }[];
}

/**
 * Renders a campaign's copy for each treated customer of a shard: a variant per customer, the
 * customer's fields, an offer code and unsubscribe link per message, and the send time at the
 * campaign's local hour in the customer's time zone on or after `sendFrom`.
 */
export function shardMessages(cycleId: string, campaign: Campaign, targets: readonly ShardTarget[], sendFrom: Date): ShardMessages {
  const messages: ShardMessages["messages"] = [];
  const failures: ShardMessages["failures"] = [];
  for (const t of targets) {
    const dedupeKey = dedupeKeyOf(cycleId, campaign.campaignId, t.customerId, campaign.channel);
    const messageId = messageIdOf(dedupeKey);
    const variant = chooseVariant(campaign.variants, { customerId: t.customerId, campaignId: campaign.campaignId });
    const unsubscribeUrl = `${UNSUBSCRIBE_BASE}${messageId}`;
    const rendered = renderChecked(
      { variantId: variant.variantId, channel: campaign.channel, fields: variant.fields as never },
      {
        first_name: t.firstName ?? undefined,
        category: campaign.category ?? t.topCategory ?? "our range",
        product: t.recommendedSku ?? "our picks",
        offer_code: offerCodeOf(messageId),
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
    // The plan's per-customer send time when it chose one (not before a brief's later start), else the campaign's hour.
    const plannedAt = (
      t.plannedAt && t.plannedAt >= sendFrom ? t.plannedAt : nextLocalHour(sendFrom, t.timezone, campaign.sendHourLocal)
    ).toISOString();
    messages.push({
      messageId,
      dedupeKey,
      cycleId,
      campaignId: campaign.campaignId,
      customerId: t.customerId,
      channel: campaign.channel,
      strategy: campaign.strategy,
      offerDepth: campaign.offerDepth,
      templateId: variant.prompt ? `${variant.prompt.id}@v${variant.prompt.version}` : variant.variantId.replace(/\.\d+$/, ""),
      variantId: variant.variantId,
      propensity: t.propensity ?? null,
      content: {
        ...rendered.message.fields,
        unsubscribeUrl,
        plannedAt,
        ...(t.recommendedSku ? { productSku: t.recommendedSku } : {}),
        prompt: variant.prompt ?? null,
      },
      plannedAt,
    });
  }
  return { messages, failures };
}

/** A brief's window start later than the as-of: sends start at the first send hour on or after it. */
export function shardSendFrom(campaign: Pick<Campaign, "sendFrom">, asOf: Date): Date {
  return campaign.sendFrom && new Date(campaign.sendFrom) > asOf ? new Date(campaign.sendFrom) : asOf;
}

/** One send job's worth of a shard's messages: the same send time, at most the batch size. */
export interface SendBatch {
  /** When the batch is due (ISO); null when the send time is not known (due at once). */
  plannedAt: string | null;
  messageIds: string[];
}

/**
 * Splits a shard's messages into send batches: grouped by planned send time (in order of first
 * appearance), each group cut into batches of at most `maxBatch` in the order given, keeping only
 * the batches that hold a message still queued. The cut is over every message of the shard, not only
 * the queued ones, so a re-run of the shard cuts the same batches (and their jobs get the same ids);
 * queued messages the shard did not render this time (none, normally) come last, due at once.
 */
export function sendBatches(
  messages: readonly { messageId: string; plannedAt: string }[],
  queuedIds: ReadonlySet<string>,
  maxBatch: number,
): SendBatch[] {
  const groups = new Map<string | null, string[]>();
  const add = (at: string | null, id: string) => {
    let ids = groups.get(at);
    if (!ids) groups.set(at, (ids = []));
    ids.push(id);
  };
  const rendered = new Set<string>();
  for (const m of messages) {
    rendered.add(m.messageId);
    add(m.plannedAt, m.messageId);
  }
  for (const id of queuedIds) if (!rendered.has(id)) add(null, id);
  const batches: SendBatch[] = [];
  for (const [at, ids] of groups)
    for (let i = 0; i < ids.length; i += maxBatch) {
      const batch = ids.slice(i, i + maxBatch);
      if (batch.some((id) => queuedIds.has(id))) batches.push({ plannedAt: at, messageIds: batch });
    }
  return batches;
}
