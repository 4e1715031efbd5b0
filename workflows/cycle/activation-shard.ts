import type { Campaign } from "../../core/domain.js";
import { campaignsOf, cycleAsOf } from "../../store/cycles-repo.js";
import { insertMessages, messageStatusesOf } from "../../store/messages-repo.js";
import { treatedCountsByCampaign, treatedTargetsForShard } from "../../store/targets-repo.js";
import { MAX_SEND_JOB_MESSAGES, sendQueueFor } from "../jobs/types.js";
import { SendFailedError } from "./delivery.js";
import type { CycleDeps } from "./deps.js";
import { experimentIdOf, jobIds } from "./ids.js";
import { planShards, sendBatches, shardMessages, shardSendFrom, type ShardJob } from "./steps/shard-messages.js";

/**
 * Activation shards: the activate node enqueues one job per shard of each campaign's treated
 * customers (and `pulse cycle run-due` and the sweeper run them again); each job builds its shard's
 * messages and hands them to its channel's send queue in batches, each at its customers' local send time.
 */

/** Most messages one send job of a shard carries. */
export const SEND_BATCH_SIZE = MAX_SEND_JOB_MESSAGES;

/**
 * Enqueues the activation shards of a cycle's campaigns, sized by the treated customers of each.
 * `jobIdOf` names each job: the activate node's fixed ids make a re-run enqueue nothing twice.
 */
export async function enqueueActivationShards(
  deps: Pick<CycleDeps, "db" | "runner">,
  cycleId: string,
  campaigns: readonly Pick<Campaign, "campaignId">[],
  shardSize: number,
  jobIdOf: (campaignIndex: number, shard: number) => string = (index, shard) => jobIds.activation(cycleId, index, shard),
): Promise<number> {
  const treated = await treatedCountsByCampaign(deps.db, cycleId, experimentIdOf(cycleId));
  const shards = planShards(cycleId, campaigns, treated, shardSize);
  for (const { campaignIndex, ...job } of shards)
    await deps.runner.enqueue("activation", job, { jobId: jobIdOf(campaignIndex, job.shard) });
  return shards.length;
}

/** Builds the per-customer messages of one activation shard and hands each to its channel's send queue. */
export async function activateShard(deps: CycleDeps, job: ShardJob): Promise<{ created: number; queued: number }> {
  const campaigns = await campaignsOf(deps.db, job.cycleId);
  const campaign = campaigns.find((c) => c.campaignId === job.campaignId);
  if (!campaign) throw new SendFailedError(`campaign ${job.campaignId} not found on cycle ${job.cycleId}`, false);
  const asOf = await cycleAsOf(deps.db, job.cycleId);
  if (!asOf) throw new SendFailedError(`cycle ${job.cycleId} not found`, false);
  const targets = await treatedTargetsForShard(
    deps.db,
    job.cycleId,
    experimentIdOf(job.cycleId),
    job.campaignId,
    job.shard,
    job.shardCount,
  );
  const { messages, failures } = shardMessages(job.cycleId, campaign, targets, shardSendFrom(campaign, asOf));
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
  // Every still-queued message of the shard goes into a send job: a re-run after a crash re-enqueues
  // what was not sent. One job per batch of messages due at the same time, not one per message, so
  // the queue carries a few jobs per shard. The batches are cut the same way on every run and a
  // batch's job id is a digest of its messages, so a re-run enqueues no batch twice (a sweep that
  // re-shards differently may overlap one: the send path's row locks and status check keep each
  // message to one delivery). A batch sends only those of its messages still queued.
  // What this run created is queued; only the messages an earlier run created are looked up (sent since?).
  const queued = new Set(messages.filter((m) => created.has(m.dedupeKey)).map((m) => m.messageId));
  const earlier = messages.filter((m) => !created.has(m.dedupeKey)).map((m) => m.messageId);
  for (const [id, status] of await messageStatusesOf(deps.db, earlier)) if (status === "queued") queued.add(id);
  const batches = sendBatches(messages, queued, SEND_BATCH_SIZE);
  // All at once: the Redis connection pipelines them, instead of one round trip per job in turn.
  await Promise.all(
    batches.map((b) => {
      const delayMs = b.plannedAt ? Math.max(0, new Date(b.plannedAt).getTime() - deps.clock.now().getTime()) : 0;
      return deps.runner.enqueue(
        sendQueueFor(campaign.channel),
        { cycleId: job.cycleId, campaignId: job.campaignId, messageIds: b.messageIds },
        { jobId: jobIds.sendBatch(b.messageIds), delayMs },
      );
    }),
  );
  return { created: created.size, queued: queued.size };
}
