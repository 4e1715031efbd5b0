import { z } from "zod";
import { CHANNELS, type Channel } from "../../core/domain.js";

/**
 * Queues of the Pulse cycle. The same names are used by BullMQ and by the in-process runner.
 * Job data carries ids only: schemas are strict objects of id-shaped strings, so an email
 * address, phone number or free text cannot ride along by accident.
 */
export { CHANNELS, type Channel };

export const SEND_QUEUES = ["send-email", "send-sms", "send-push", "send-in_app"] as const;
export type SendQueueName = (typeof SEND_QUEUES)[number];

export const QUEUE_NAMES = ["cycle", "activation", ...SEND_QUEUES, "measure"] as const;
export type QueueName = (typeof QUEUE_NAMES)[number];

export function sendQueueFor(channel: Channel): SendQueueName {
  return `send-${channel}`;
}

export function channelOf(queue: SendQueueName): Channel {
  return queue.slice("send-".length) as Channel;
}

export function isQueueName(value: string): value is QueueName {
  return (QUEUE_NAMES as readonly string[]).includes(value);
}

export function isSendQueue(queue: QueueName): queue is SendQueueName {
  return (SEND_QUEUES as readonly string[]).includes(queue);
}

/** Pseudonymous ids: letters, digits and `_ . : -` only (no `@`, `+` or spaces, so no emails or phone numbers). */
export const jobIdPartSchema = z.string().regex(/^[A-Za-z0-9_.:-]{1,200}$/, "must be an id (letters, digits, _ . : -)");

export const cycleJobSchema = z
  .object({
    /** run: start a cycle (a scheduled tick has no cycleId yet); resume: continue an interrupted cycle. */
    kind: z.enum(["run", "resume"]),
    cycleId: jobIdPartSchema.optional(),
    trigger: z.enum(["schedule", "manual", "chat", "api"]).default("manual"),
    /** For resume: the approval decision that unblocks the cycle. */
    approvalId: jobIdPartSchema.optional(),
  })
  .strict()
  .refine((d) => d.kind === "run" || d.cycleId !== undefined, { message: "resume needs a cycleId", path: ["cycleId"] });

export const activationJobSchema = z
  .object({
    cycleId: jobIdPartSchema,
    campaignId: jobIdPartSchema,
    /** Customers are split into shards by hash range; this job activates shard `shard` of `shardCount`. */
    shard: z.number().int().nonnegative(),
    shardCount: z.number().int().positive(),
  })
  .strict()
  .refine((d) => d.shard < d.shardCount, { message: "shard must be below shardCount", path: ["shard"] });

/** Most messages one send job carries (activation's batches; the sweeper re-drives one at a time). */
export const MAX_SEND_JOB_MESSAGES = 500;

/**
 * A send job: one message (`messageId`, as jobs enqueued before batching, and tests, carry), or a
 * batch of messages of one campaign due at the same time (`messageIds`). Exactly one of the two.
 */
export const sendJobSchema = z
  .object({
    cycleId: jobIdPartSchema,
    campaignId: jobIdPartSchema,
    /** Pseudonymous customer id of a one-message job; the connector looks up the address in the store. */
    customerId: jobIdPartSchema.optional(),
    variantId: jobIdPartSchema.optional(),
    /** Idempotency key of the message (derived from cycle, campaign, customer, channel). */
    messageId: jobIdPartSchema.optional(),
    /** The messages of a batch job, each sent at most once (a retried batch skips those already sent). */
    messageIds: z.array(jobIdPartSchema).min(1).max(MAX_SEND_JOB_MESSAGES).optional(),
  })
  .strict()
  .refine((d) => (d.messageId === undefined) !== (d.messageIds === undefined), {
    message: "a send job carries either messageId or messageIds",
    path: ["messageIds"],
  });

/** The messages a send job carries, one or a batch. */
export function messageIdsOfSendJob(data: { messageId?: string; messageIds?: readonly string[] }): readonly string[] {
  return data.messageIds ?? (data.messageId === undefined ? [] : [data.messageId]);
}

export const measureJobSchema = z
  .object({
    cycleId: jobIdPartSchema,
    campaignId: jobIdPartSchema.optional(),
    /** When the attribution window closes (ISO 8601); the job is delayed until then. */
    windowEndsAt: z.iso.datetime({ offset: true }),
  })
  .strict();

export const jobDataSchemas = {
  cycle: cycleJobSchema,
  activation: activationJobSchema,
  "send-email": sendJobSchema,
  "send-sms": sendJobSchema,
  "send-push": sendJobSchema,
  "send-in_app": sendJobSchema,
  measure: measureJobSchema,
} as const satisfies Record<QueueName, z.ZodType>;

/** What a producer passes (defaults may be omitted). */
export type JobInput<Q extends QueueName> = z.input<(typeof jobDataSchemas)[Q]>;
/** What a processor receives (validated, defaults applied). */
export type JobData<Q extends QueueName> = z.output<(typeof jobDataSchemas)[Q]>;

export interface JobContext<Q extends QueueName = QueueName> {
  jobId: string;
  /** 1 on the first run, 2 on the first retry, ... */
  attempt: number;
  /** Attempts allowed in total. */
  attempts: number;
  queue: Q;
  /** Aborted when the worker is force-closed or the job is cancelled; long processors should honour it. */
  signal?: AbortSignal;
}

export type Processor<Q extends QueueName> = (data: JobData<Q>, ctx: JobContext<Q>) => Promise<unknown>;

/** One processor per queue; BullMQ workers and the in-process runner call the same functions. */
export type ProcessorMap = { [Q in QueueName]: Processor<Q> };

export interface EnqueueOptions {
  /** Deterministic id: a second enqueue with the same id on the same queue is a no-op. */
  jobId?: string;
  delayMs?: number;
  /** Attempts in total, including the first (default per queue, see QUEUE_DEFAULTS). */
  attempts?: number;
  /** First retry delay; doubles on each further retry. */
  backoffMs?: number;
}

export interface EnqueuedJob {
  queue: QueueName;
  jobId: string;
}

/** Where cycle work goes: BullMQ when REDIS_URL is set, else the in-process runner. */
export interface JobRunner {
  readonly kind: "bullmq" | "in-process";
  enqueue<Q extends QueueName>(queue: Q, data: JobInput<Q>, options?: EnqueueOptions): Promise<EnqueuedJob>;
  close(): Promise<void>;
}

export interface RetryDefaults {
  attempts: number;
  backoffMs: number;
}

export const QUEUE_DEFAULTS: Record<QueueName, RetryDefaults> = {
  cycle: { attempts: 3, backoffMs: 5_000 },
  activation: { attempts: 5, backoffMs: 2_000 },
  "send-email": { attempts: 5, backoffMs: 1_000 },
  "send-sms": { attempts: 5, backoffMs: 1_000 },
  "send-push": { attempts: 5, backoffMs: 1_000 },
  "send-in_app": { attempts: 5, backoffMs: 1_000 },
  measure: { attempts: 5, backoffMs: 60_000 },
};

export interface RateLimit {
  max: number;
  durationMs: number;
}

/** Per-channel send rates, shared by all workers of a queue (BullMQ limits globally per queue). */
export const DEFAULT_SEND_LIMITS: Record<Channel, RateLimit> = {
  email: { max: 200, durationMs: 1_000 },
  sms: { max: 20, durationMs: 1_000 },
  push: { max: 100, durationMs: 1_000 },
  in_app: { max: 200, durationMs: 1_000 },
};
