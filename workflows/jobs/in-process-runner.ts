import { randomUUID } from "node:crypto";
import { systemClock, type Clock } from "../../core/clock.js";
import { checkJobId, parseJobData } from "./job-data.js";
import { NoProcessorError, RunnerClosedError } from "./job-errors.js";
import { backoffDelay, isRetryable } from "./retry-policy.js";
import {
  QUEUE_DEFAULTS,
  type EnqueueOptions,
  type EnqueuedJob,
  type JobData,
  type JobInput,
  type JobRunner,
  type Processor,
  type ProcessorMap,
  type QueueName,
} from "./types.js";

export interface InProcessRunnerOptions {
  /** The processors; absent when they are built with this runner (see `serve`). */
  processors?: Partial<ProcessorMap>;
  /** Decides when delayed jobs are due; a ManualClock lets the demo jump to the end of an attribution window. */
  clock?: Clock;
  /** Waits between retries; tests pass one that resolves at once. */
  sleep?: (ms: number) => Promise<void>;
  /** Jobs run at once (default 1: strict FIFO, deterministic order). */
  concurrency?: number;
  /**
   * At most this many jobs of a queue at once, within `concurrency`. A job whose queue is at its
   * limit waits at the head of the line (jobs still start in FIFO order).
   */
  queueConcurrency?: Partial<Record<QueueName, number>>;
  /** Called when a job has failed for good. */
  onFailed?: (job: FailedJob) => void;
}

export interface PendingJob {
  queue: QueueName;
  jobId: string;
  dueAt: Date;
}

export interface FailedJob {
  queue: QueueName;
  jobId: string;
  attempts: number;
  error: unknown;
}

export interface DrainResult {
  completed: number;
  failed: FailedJob[];
}

interface Entry {
  seq: number;
  queue: QueueName;
  jobId: string;
  data: JobData<QueueName>;
  attempts: number;
  backoffMs: number;
  attemptsMade: number;
  dueAt: number;
}

/** FIFO with O(1) take, for runs of a million send jobs. */
class Fifo<T> {
  #items: T[] = [];
  #head = 0;
  get size(): number {
    return this.#items.length - this.#head;
  }
  push(item: T): void {
    this.#items.push(item);
  }
  peek(): T | undefined {
    return this.#head < this.#items.length ? this.#items[this.#head] : undefined;
  }
  shift(): T | undefined {
    if (this.#head >= this.#items.length) return undefined;
    const item = this.#items[this.#head++];
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }
}

const realSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * The job runner used without Redis: the same processors, called in this process. Jobs wait until
 * `drain()` or `runDue()`; delayed jobs wait until the injected clock reaches their due time.
 * Processors may enqueue further jobs, but must not call drain() themselves (it would wait on itself).
 */
export class InProcessRunner implements JobRunner {
  readonly kind = "in-process" as const;
  #processors: Partial<ProcessorMap>;
  readonly #clock: Clock;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #concurrency: number;
  readonly #queueConcurrency: Partial<Record<QueueName, number>>;
  readonly #activeByQueue = new Map<QueueName, number>();
  readonly #onFailed: ((job: FailedJob) => void) | undefined;
  readonly #ready = new Fifo<Entry>();
  /** Sorted by due time, then enqueue order. */
  readonly #delayed: Entry[] = [];
  readonly #seen = new Set<string>();
  readonly #failed: FailedJob[] = [];
  readonly #abort = new AbortController();
  #seq = 0;
  #running: Promise<unknown> = Promise.resolve();
  #closing = false;

  constructor(options: InProcessRunnerOptions) {
    this.#processors = options.processors ?? {};
    this.#clock = options.clock ?? systemClock;
    this.#sleep = options.sleep ?? realSleep;
    this.#concurrency = Math.max(1, options.concurrency ?? 1);
    this.#queueConcurrency = Object.fromEntries(Object.entries(options.queueConcurrency ?? {}).map(([q, n]) => [q, Math.max(1, n)]));
    this.#onFailed = options.onFailed;
  }

  /**
   * Sets the processors of a runner made before them: the cycle's processors call a service whose
   * nodes enqueue on this runner. Jobs cannot be enqueued before.
   */
  serve(processors: Partial<ProcessorMap>): this {
    this.#processors = processors;
    return this;
  }

  async enqueue<Q extends QueueName>(queue: Q, data: JobInput<Q>, options: EnqueueOptions = {}): Promise<EnqueuedJob> {
    if (this.#closing) throw new RunnerClosedError();
    if (!this.#processors[queue]) throw new NoProcessorError(queue);
    const parsed = parseJobData(queue, data);
    if (options.jobId !== undefined) checkJobId(queue, options.jobId);
    const jobId = options.jobId ?? randomUUID();
    const key = `${queue}\u0000${jobId}`;
    if (this.#seen.has(key)) return { queue, jobId };
    this.#seen.add(key);

    const defaults = QUEUE_DEFAULTS[queue];
    const delay = Math.max(0, options.delayMs ?? 0);
    const entry: Entry = {
      seq: ++this.#seq,
      queue,
      jobId,
      data: parsed,
      attempts: Math.max(1, options.attempts ?? defaults.attempts),
      backoffMs: options.backoffMs ?? defaults.backoffMs,
      attemptsMade: 0,
      dueAt: this.#clock.now().getTime() + delay,
    };
    if (delay > 0) this.#insertDelayed(entry);
    else this.#ready.push(entry);
    return { queue, jobId };
  }

  /** Runs every job that is due now, and the jobs those enqueue, until nothing due is left. */
  drain(): Promise<DrainResult> {
    return this.#serialize(() => this.#run(true));
  }

  /** Runs the jobs due at this moment once; jobs they enqueue wait for the next call. */
  runDue(): Promise<DrainResult> {
    return this.#serialize(() => this.#run(false));
  }

  /** Delayed jobs not yet due, earliest first. */
  pending(): PendingJob[] {
    return this.#delayed.map((e) => ({ queue: e.queue, jobId: e.jobId, dueAt: new Date(e.dueAt) }));
  }

  /** Jobs waiting to run now (not counting delayed ones). */
  readyCount(): number {
    return this.#ready.size;
  }

  /** Every job that failed for good since the runner was made. */
  failed(): readonly FailedJob[] {
    return this.#failed;
  }

  /** Takes no more jobs and waits for the active ones (`force` aborts their signal first); queued jobs are dropped. */
  async close(options: { force?: boolean } = {}): Promise<void> {
    this.#closing = true;
    if (options.force) this.#abort.abort(new RunnerClosedError());
    await this.#running.catch(() => {});
  }

  #serialize<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.#running.then(fn, fn);
    this.#running = next.catch(() => {});
    return next;
  }

  #hasRoom(queue: QueueName): boolean {
    const limit = this.#queueConcurrency[queue];
    return limit === undefined || (this.#activeByQueue.get(queue) ?? 0) < limit;
  }

  #insertDelayed(entry: Entry): void {
    let lo = 0;
    let hi = this.#delayed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const m = this.#delayed[mid]!;
      if (m.dueAt < entry.dueAt || (m.dueAt === entry.dueAt && m.seq < entry.seq)) lo = mid + 1;
      else hi = mid;
    }
    this.#delayed.splice(lo, 0, entry);
  }

  #promoteDue(): void {
    const now = this.#clock.now().getTime();
    let n = 0;
    while (n < this.#delayed.length && this.#delayed[n]!.dueAt <= now) this.#ready.push(this.#delayed[n++]!);
    if (n > 0) this.#delayed.splice(0, n);
  }

  async #run(untilIdle: boolean): Promise<DrainResult> {
    const result: DrainResult = { completed: 0, failed: [] };
    this.#promoteDue();
    let budget = untilIdle ? Number.POSITIVE_INFINITY : this.#ready.size;
    const active = new Set<Promise<void>>();
    for (;;) {
      while (
        !this.#closing &&
        budget > 0 &&
        active.size < this.#concurrency &&
        this.#ready.size > 0 &&
        this.#hasRoom(this.#ready.peek()!.queue)
      ) {
        budget--;
        const entry = this.#ready.shift()!;
        this.#activeByQueue.set(entry.queue, (this.#activeByQueue.get(entry.queue) ?? 0) + 1);
        const p: Promise<void> = this.#execute(entry, result).finally(() => {
          active.delete(p);
          this.#activeByQueue.set(entry.queue, this.#activeByQueue.get(entry.queue)! - 1);
        });
        active.add(p);
      }
      if (active.size === 0) {
        if (!untilIdle || this.#closing) break;
        this.#promoteDue();
        if (this.#ready.size === 0) break;
        continue;
      }
      await Promise.race(active);
    }
    return result;
  }

  async #execute(entry: Entry, result: DrainResult): Promise<void> {
    const processor = this.#processors[entry.queue] as Processor<QueueName>;
    for (;;) {
      entry.attemptsMade++;
      try {
        await processor(entry.data, {
          jobId: entry.jobId,
          attempt: entry.attemptsMade,
          attempts: entry.attempts,
          queue: entry.queue,
          signal: this.#abort.signal,
        });
        result.completed++;
        return;
      } catch (error) {
        if (!isRetryable(error) || entry.attemptsMade >= entry.attempts) {
          const failed: FailedJob = { queue: entry.queue, jobId: entry.jobId, attempts: entry.attemptsMade, error };
          result.failed.push(failed);
          this.#failed.push(failed);
          this.#onFailed?.(failed);
          return;
        }
        await this.#sleep(backoffDelay(entry.backoffMs, entry.attemptsMade));
      }
    }
  }
}
