import { Queue, type JobsOptions } from "bullmq";
import type { Redis } from "ioredis";
import { checkJobId, parseJobData } from "./job-data.js";
import { QueueUnavailableError, RunnerClosedError } from "./job-errors.js";
import { closeRedisConnection, createRedisConnection } from "./redis-connection.js";
import { QUEUE_DEFAULTS, type EnqueueOptions, type EnqueuedJob, type JobInput, type JobRunner, type QueueName } from "./types.js";

export interface BullmqRunnerOptions {
  /** A connection the caller owns (not closed by the runner). */
  connection: Redis;
  /** Redis key prefix (config PULSE_QUEUE_PREFIX); tests use a random one. */
  prefix: string;
  /**
   * How long finished jobs are kept. A jobId dedupes only while its job exists, so this is also the
   * dedupe window for deterministic ids. Side effects must still be idempotent in the store.
   */
  keepCompletedSeconds?: number;
  keepFailedSeconds?: number;
  /** Producers fail fast: BullMQ would wait for Redis forever, Pulse gives up after this long (default 10 s). */
  enqueueTimeoutMs?: number;
}

/** JobRunner over BullMQ: one Queue per queue name, created on first use. */
export class BullmqRunner implements JobRunner {
  readonly kind = "bullmq" as const;
  readonly prefix: string;
  readonly #connection: Redis;
  readonly #owned: boolean;
  readonly #queues = new Map<QueueName, Queue>();
  readonly #keepCompleted: number;
  readonly #keepFailed: number;
  readonly #enqueueTimeoutMs: number;
  #closed = false;

  constructor(options: BullmqRunnerOptions, owned = false) {
    this.#connection = options.connection;
    this.#owned = owned;
    this.prefix = options.prefix;
    this.#keepCompleted = options.keepCompletedSeconds ?? 7 * 86_400;
    this.#keepFailed = options.keepFailedSeconds ?? 30 * 86_400;
    this.#enqueueTimeoutMs = options.enqueueTimeoutMs ?? 10_000;
  }

  /** A runner that opens, and on close quits, its own connection. */
  static connect(url: string, options: Omit<BullmqRunnerOptions, "connection">): BullmqRunner {
    return new BullmqRunner({ ...options, connection: createRedisConnection(url, { name: "pulse-producer" }) }, true);
  }

  queue(name: QueueName): Queue {
    if (this.#closed) throw new RunnerClosedError();
    let q = this.#queues.get(name);
    if (!q) {
      q = new Queue(name, { connection: this.#connection, prefix: this.prefix });
      // A queue re-emits connection errors; the caller sees failures through rejected add() calls.
      q.on("error", () => {});
      this.#queues.set(name, q);
    }
    return q;
  }

  async enqueue<Q extends QueueName>(queue: Q, data: JobInput<Q>, options: EnqueueOptions = {}): Promise<EnqueuedJob> {
    if (this.#closed) throw new RunnerClosedError();
    const parsed = parseJobData(queue, data);
    if (options.jobId !== undefined) checkJobId(queue, options.jobId);
    const defaults = QUEUE_DEFAULTS[queue];
    const opts: JobsOptions = {
      ...(options.jobId !== undefined ? { jobId: options.jobId } : {}),
      ...(options.delayMs && options.delayMs > 0 ? { delay: options.delayMs } : {}),
      attempts: options.attempts ?? defaults.attempts,
      backoff: { type: "exponential", delay: options.backoffMs ?? defaults.backoffMs },
      removeOnComplete: { age: this.#keepCompleted },
      removeOnFail: { age: this.#keepFailed },
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new QueueUnavailableError(queue, this.#enqueueTimeoutMs)), this.#enqueueTimeoutMs);
    });
    try {
      // If the add lands after the timeout, a deterministic jobId keeps the retry from duplicating it.
      const job = await Promise.race([this.queue(queue).add(queue, parsed, opts), timeout]);
      return { queue, jobId: job.id! };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#queues.values()].map((q) => q.close()));
    this.#queues.clear();
    if (this.#owned) await closeRedisConnection(this.#connection);
  }
}
