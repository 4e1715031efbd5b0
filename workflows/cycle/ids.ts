import { createHash, randomBytes } from "node:crypto";

/**
 * Every id the cycle derives, in one place. Ids are pure functions of the ids they come from, so a
 * step re-run after a crash finds the rows, jobs and entries it made the first time instead of
 * making them twice.
 */

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

/** A new cycle's id: its start date and a random suffix (the only id here that is not derived). */
export const newCycleId = (now: Date) => `c-${now.toISOString().slice(0, 10).replaceAll("-", "")}-${randomBytes(3).toString("hex")}`;

/** One campaign per (segment, strategy, channel) of a cycle's plan. */
export const campaignIdOf = (cycleId: string, segmentId: string, strategy: string, channel: string, offerDepth?: number) =>
  `${cycleId}.${segmentId}.${strategy}.${channel}${offerDepth === undefined ? "" : `.o${Math.round(offerDepth * 100)}`}`;

/** The segmentation run a cycle's refresh writes. */
export const segmentRunId = (cycleId: string) => `${cycleId}.segments`;

/** The score runs a cycle's refresh writes beside its segment run. */
export const scoreRunId = (cycleId: string, model: "fatigue" | "clv" | "churn") => `${cycleId}.${model}`;

/** The plan a cycle's plan node records. */
export const planIdOf = (cycleId: string) => `${cycleId}.plan`;

/** The uplift evidence the learn step records for one strategy from a cycle's holdout. */
export const evidenceRunIdOf = (cycleId: string, strategy: string) => `${cycleId}.evidence.${strategy}`;

/** The randomized experiment (holdout) of a cycle's activation; also its assignment salt. */
export const experimentIdOf = (cycleId: string) => `${cycleId}.exp`;

/** Same (cycle, campaign, customer, channel), same key: the database refuses a second message. */
export const dedupeKeyOf = (cycleId: string, campaignId: string, customerId: string, channel: string) =>
  `${cycleId}|${campaignId}|${customerId}|${channel}`;

/** A message's id: a digest of its dedupe key, so it carries no customer id in the clear. */
export const messageIdOf = (dedupeKey: string) => `m-${sha256Hex(dedupeKey).slice(0, 24)}`;

/** The offer code printed in a message: one per message, not guessable from another's. */
export const offerCodeOf = (messageId: string) => `P${sha256Hex(`offer|${messageId}`).slice(0, 8).toUpperCase()}`;

/** The cycle a cycle job without a cycle id starts: derived from the job id, so each retry finds the same cycle. */
export const cycleIdForJob = (jobId: string) => `c-job-${sha256Hex(jobId).slice(0, 12)}`;

/** Stable, queue-safe job ids: the same work always gets the same id, so it cannot be enqueued twice. */
export const jobIds = {
  activation: (cycleId: string, campaignIndex: number, shard: number) => `${cycleId}.act.${campaignIndex}.${shard}`,
  /**
   * `pulse cycle run-due`'s re-run of an activation shard: the first run's job has that shard's fixed
   * id and is done, so a re-run needs its own (the shard itself is idempotent).
   */
  dueActivation: (cycleId: string, campaignIndex: number, shard: number, at: Date) =>
    `${cycleId}.due.${campaignIndex}.${shard}.${at.getTime()}`,
  send: (messageId: string) => `send.${messageId}`,
  /** A batch of messages' send job: a digest of its message ids, so the same batch is never queued twice. */
  sendBatch: (messageIds: readonly string[]) => `send.b-${sha256Hex(messageIds.join(",")).slice(0, 32)}`,
  measure: (cycleId: string) => `${cycleId}.measure`,
};
