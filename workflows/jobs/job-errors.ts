import { InputError, PulseError } from "../../core/errors.js";

/** Job data does not match its queue's schema. Never retried: the same data fails the same way. */
export class JobDataError extends PulseError {
  readonly queue: string;
  constructor(queue: string, message: string) {
    super("JOB_DATA_INVALID", `${queue}: ${message}`);
    this.queue = queue;
  }
}

/** A job was sent to a queue that has no processor in this runner or worker set. */
export class NoProcessorError extends PulseError {
  readonly queue: string;
  constructor(queue: string) {
    super("JOB_NO_PROCESSOR", `no processor for queue "${queue}"`);
    this.queue = queue;
  }
}

/** Redis did not take a job in time. Retryable: a processor that enqueues follow-up work runs again later. */
export class QueueUnavailableError extends PulseError {
  constructor(queue: string, timeoutMs: number) {
    super("QUEUE_UNAVAILABLE", `queue "${queue}" did not accept a job within ${timeoutMs} ms (is Redis reachable?)`, { retryable: true });
  }
}

/** The runner was closed; it takes no more jobs. */
export class RunnerClosedError extends PulseError {
  constructor() {
    super("JOB_RUNNER_CLOSED", "the job runner is closed");
  }
}

/** A schedule's cron pattern cannot be parsed or fires too often. An input error: exit code 3. */
export class InvalidCronError extends InputError {
  readonly pattern: string;
  constructor(pattern: string, reason: string) {
    super(`invalid cron "${pattern}": ${reason}`);
    this.name = "InvalidCronError";
    this.pattern = pattern;
  }
}
