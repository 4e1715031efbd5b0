import { Worker, type Job } from "bullmq";
import type { Redis } from "ioredis";
import { parseJobData } from "./job-data.js";
import { createMessageRateLimiter, sliceForLimit } from "./message-rate-limit.js";
import { NoProcessorError } from "./job-errors.js";
import { isRetryable, toBullmqError } from "./retry-policy.js";
import {
  channelOf,
  DEFAULT_SEND_LIMITS,
  isSendQueue,
  type Channel,
  type JobContext,
  type JobData,
  type Processor,
  type ProcessorMap,
  type QueueName,
  type RateLimit,
  type SendQueueName,
} from "./types.js";

/** The part of a pino logger the workers use; passed in by the entry point. */
export interface WorkerLogger {
  debug(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface StartWorkersOptions {
  /** Shared connection (the caller closes it after the pool). Must have maxRetriesPerRequest: null. */
  connection: Redis;
  prefix: string;
  processors: Partial<ProcessorMap>;
  /** Queues to work on (default: every queue with a processor). */
  queues?: readonly QueueName[];
  /** Jobs run at once per queue, per process. */
  concurrency?: number | Partial<Record<QueueName, number>>;
  /**
   * Send rates per channel (merged over DEFAULT_SEND_LIMITS), in messages, across all workers: BullMQ
   * limits the jobs, and a counter in Redis the messages of batch jobs (message-rate-limit.ts).
   */
  limits?: Partial<Record<Channel, RateLimit>>;
  logger?: WorkerLogger;
  /** How long a job may hold its lock without renewal before another worker takes it over. */
  lockDurationMs?: number;
  /** How often BullMQ checks for stalled jobs (30 s by default; a job is taken over on the second check that finds it unlocked). */
  stalledIntervalMs?: number;
  /** Recorded by BullMQ on every job this pool takes (`job.processedBy`), so a job shows which worker ran it. */
  name?: string;
}

export interface CloseOptions {
  /** After this long, stop waiting for active jobs: they are abandoned and retried later as stalled. */
  forceAfterMs?: number;
}

/** The running workers of one process. */
export class WorkerPool {
  readonly workers: ReadonlyMap<QueueName, Worker>;
  #closing: Promise<void> | undefined;

  constructor(workers: ReadonlyMap<QueueName, Worker>) {
    this.workers = workers;
  }

  /** Resolves once every worker is connected and polling. */
  async ready(): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.waitUntilReady()));
  }

  /** Stops taking jobs and waits for the active ones to finish (BullMQ's graceful close). */
  close(options: CloseOptions = {}): Promise<void> {
    this.#closing ??= Promise.all([...this.workers.values()].map((w) => closeWorker(w, options.forceAfterMs))).then(() => undefined);
    return this.#closing;
  }
}

async function closeWorker(worker: Worker, forceAfterMs: number | undefined): Promise<void> {
  const graceful = worker.close();
  if (forceAfterMs === undefined) return graceful;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), forceAfterMs);
  });
  const outcome = await Promise.race([graceful.then(() => "closed" as const), timedOut]);
  clearTimeout(timer);
  if (outcome === "timeout") {
    worker.cancelAllJobs("worker shutting down");
    await worker.close(true);
  }
}

/** The name a `pulse worker` process gives its BullMQ workers: one per process, stable while it runs. */
export const workerNameOf = (host: string, pid: number) => `pulse-worker:${host}:${pid}`;

/** Starts one BullMQ Worker per queue, each calling the same processor the in-process runner would. */
export function startWorkers(options: StartWorkersOptions): WorkerPool {
  const queues = options.queues ?? (Object.keys(options.processors) as QueueName[]);
  const workers = new Map<QueueName, Worker>();
  for (const queue of queues) {
    const processor = options.processors[queue] as Processor<QueueName> | undefined;
    if (!processor) {
      // Close what was started before failing, so a bad --queues leaves nothing running.
      for (const w of workers.values()) void w.close();
      throw new NoProcessorError(queue);
    }
    workers.set(queue, startWorker(queue, processor, options));
  }
  return new WorkerPool(workers);
}

function concurrencyFor(queue: QueueName, c: StartWorkersOptions["concurrency"]): number {
  if (typeof c === "number") return c;
  return c?.[queue] ?? (isSendQueue(queue) ? 10 : 1);
}

function startWorker(queue: QueueName, processor: Processor<QueueName>, options: StartWorkersOptions): Worker {
  const log = options.logger;
  const limit = isSendQueue(queue) ? { ...DEFAULT_SEND_LIMITS, ...options.limits }[channelOf(queue)] : undefined;

  // Send jobs carry batches: the limit is also counted in messages (BullMQ's limiter below counts jobs).
  const messages = limit ? createMessageRateLimiter(options.connection, `${options.prefix}:${queue}:message-rate`, limit) : undefined;
  const run = async (data: JobData<QueueName>, ctx: JobContext): Promise<unknown> => {
    if (!messages || !limit) return processor(data, ctx);
    const batch = (data as JobData<SendQueueName>).messageIds;
    // A one-message job is one job for BullMQ's limiter, which is the message limit already.
    if (batch === undefined) return processor(data, ctx);
    const results: unknown[] = [];
    for (const slice of sliceForLimit(batch, limit.max)) {
      await messages.take(slice.length);
      results.push(await processor({ ...data, messageIds: slice } as JobData<QueueName>, ctx));
    }
    return results.length === 1 ? results[0] : results.join("; ");
  };

  const worker = new Worker(
    queue,
    async (job: Job, _token?: string, signal?: AbortSignal) => {
      const attempts = job.opts.attempts ?? 1;
      const ctx: JobContext = { jobId: job.id!, attempt: job.attemptsMade + 1, attempts, queue, signal };
      try {
        return await run(parseJobData(queue, job.data), ctx);
      } catch (err) {
        throw toBullmqError(err);
      }
    },
    {
      connection: options.connection,
      prefix: options.prefix,
      concurrency: concurrencyFor(queue, options.concurrency),
      // BullMQ merges options over its defaults, so an explicit undefined would erase a default.
      ...(limit ? { limiter: { max: limit.max, duration: limit.durationMs } } : {}),
      ...(options.lockDurationMs !== undefined ? { lockDuration: options.lockDurationMs } : {}),
      ...(options.stalledIntervalMs !== undefined ? { stalledInterval: options.stalledIntervalMs } : {}),
      ...(options.name !== undefined ? { name: options.name } : {}),
    },
  );

  // Without an 'error' listener a Redis hiccup would crash the process.
  worker.on("error", (err) => log?.error({ queue, err }, "worker error"));
  worker.on("failed", (job, err) => {
    if (!job) return;
    const attempts = job.opts.attempts ?? 1;
    const cause = (err as Error & { cause?: unknown }).cause ?? err;
    const willRetry = isRetryable(err) && job.attemptsMade < attempts;
    const ctx = { queue, jobId: job.id, attempt: job.attemptsMade, attempts, willRetry, err: cause };
    if (willRetry) log?.warn(ctx, "job failed, will retry");
    else log?.error(ctx, "job failed");
  });
  worker.on("completed", (job) => log?.debug({ queue, jobId: job.id, attempt: job.attemptsMade }, "job completed"));
  return worker;
}
