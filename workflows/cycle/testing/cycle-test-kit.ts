import { readFile } from "node:fs/promises";
import type { Connector, DeliveryResult, OutboundMessage } from "../../../connectors/connector.js";
import { loadConfig, type Config } from "../../../core/config.js";
import { readCycleLog } from "../../../store/audit-repo.js";
import type { Db } from "../../../store/db.js";
import { holdoutArms } from "../../../store/experiments-repo.js";
import { cycleMessages, sentCount, type MessageRow } from "../../../store/messages-repo.js";
import type { BullmqRunner } from "../../jobs/bullmq-runner.js";
import { checkJobId, parseJobData } from "../../jobs/job-data.js";
import type { EnqueuedJob, EnqueueOptions, JobInput, JobRunner, QueueName } from "../../jobs/types.js";

/** Test support shared by the cycle's integration tests (and their child processes). */

/** The test configuration, offline unless a test says otherwise (no OPENAI_API_KEY from the environment). */
export function testConfig(overrides: Partial<Config> = {}): Config {
  return { ...loadConfig(), OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, ...overrides };
}

export interface RecordedJob {
  queue: QueueName;
  jobId: string;
  data: unknown;
  delayMs: number;
}

/** A runner that only records what would be enqueued (validated like a real producer, deduped by job id). */
export class RecordingRunner implements JobRunner {
  readonly kind = "in-process" as const;
  readonly jobs: RecordedJob[] = [];

  async enqueue<Q extends QueueName>(queue: Q, data: JobInput<Q>, options: EnqueueOptions = {}): Promise<EnqueuedJob> {
    const parsed = parseJobData(queue, data);
    const jobId = options.jobId ?? `${queue}.${this.jobs.length + 1}`;
    if (options.jobId !== undefined) checkJobId(queue, options.jobId);
    if (!this.jobs.some((j) => j.queue === queue && j.jobId === jobId))
      this.jobs.push({ queue, jobId, data: parsed, delayMs: options.delayMs ?? 0 });
    return { queue, jobId };
  }

  async close(): Promise<void> {}
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it returns a value `done` accepts; fails with the last value after `timeoutMs`. */
export async function waitUntil<T>(
  probe: () => Promise<T>,
  done: (value: T) => boolean,
  options: { timeoutMs: number; what: string; intervalMs?: number },
): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() - started > options.timeoutMs)
      throw new Error(
        `timed out after ${options.timeoutMs} ms waiting for ${options.what}; last value: ${JSON.stringify(value instanceof Map ? Object.fromEntries(value) : value)}`,
      );
    await sleep(options.intervalMs ?? 100);
  }
}

const JOB_STATES = ["waiting", "active", "delayed", "prioritized", "completed", "failed"] as const;
export type JobCounts = Record<(typeof JOB_STATES)[number], number>;

/** BullMQ job counts per queue and state (absent states as 0). */
export async function jobCounts(runner: BullmqRunner, queues: readonly QueueName[]): Promise<Map<QueueName, JobCounts>> {
  const out = new Map<QueueName, JobCounts>();
  for (const q of queues) {
    const raw = await runner.queue(q).getJobCounts(...JOB_STATES);
    out.set(q, Object.fromEntries(JOB_STATES.map((s) => [s, raw[s] ?? 0])) as JobCounts);
  }
  return out;
}

/** Jobs still to run (waiting, active, prioritized; delayed too unless told otherwise). */
export function pendingJobs(counts: ReadonlyMap<QueueName, JobCounts>, options: { delayed?: boolean } = {}): number {
  let n = 0;
  for (const c of counts.values()) n += c.waiting + c.active + c.prioritized + (options.delayed === false ? 0 : c.delayed);
  return n;
}

export interface AuditRowLite {
  seq: number;
  kind: string;
  actor: string;
  cycleId: string | null;
  customerId: string | null;
  entry: Record<string, unknown>;
}

/** Audit entries of a cycle, optionally of some kinds only, in order. */
export async function auditEntries(db: Db, cycleId: string, kinds?: readonly string[]): Promise<AuditRowLite[]> {
  return (await readCycleLog(db, cycleId, kinds)).map((r) => ({
    seq: r.seq,
    kind: r.kind,
    actor: r.actor,
    cycleId: r.cycleId,
    customerId: r.customerId,
    entry: r.entry as Record<string, unknown>,
  }));
}

/** Holdout arm of every customer assigned in the cycle's experiment. */
export const armsOf = holdoutArms;

export type { MessageRow };

/** Every message of a cycle, by message id. */
export const messagesOf = cycleMessages;

export { sentCount };

/** The parseable lines of a JSONL outbox (a line cut short by a crash is not a delivered message). */
export async function readOutbox(file: string): Promise<{ messages: OutboundMessage[]; unreadable: number }> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { messages: [], unreadable: 0 };
    throw err;
  }
  const messages: OutboundMessage[] = [];
  let unreadable = 0;
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      messages.push(JSON.parse(line) as OutboundMessage);
    } catch {
      unreadable++;
    }
  }
  return { messages, unreadable };
}

/**
 * A connector that takes its time: waits before and after handing the message on, so a process
 * killed mid-send is likely to have written the message but not yet marked it sent.
 */
export class SlowConnector implements Connector {
  readonly name: string;
  readonly #inner: Connector;
  readonly #beforeMs: number;
  readonly #afterMs: number;
  /** Deliveries the inner connector answered from its dedupe keys (attempts 0). */
  deduped = 0;

  constructor(inner: Connector, options: { beforeMs: number; afterMs: number }) {
    this.name = `slow-${inner.name}`;
    this.#inner = inner;
    this.#beforeMs = options.beforeMs;
    this.#afterMs = options.afterMs;
  }

  async deliver(message: OutboundMessage): Promise<DeliveryResult> {
    await sleep(this.#beforeMs);
    const result = await this.#inner.deliver(message);
    if (result.status === "delivered" && result.attempts === 0) this.deduped++;
    await sleep(this.#afterMs);
    return result;
  }

  close(): Promise<void> {
    return this.#inner.close?.() ?? Promise.resolve();
  }
}
