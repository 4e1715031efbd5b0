import { JobDataError } from "./job-errors.js";
import { jobDataSchemas, type JobData, type QueueName } from "./types.js";

/** Validates job data against its queue's schema; producers call it before enqueueing, processors before running. */
export function parseJobData<Q extends QueueName>(queue: Q, data: unknown): JobData<Q> {
  const result = jobDataSchemas[queue].safeParse(data);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    const where = issue.path.length ? `${issue.path.join(".")}: ` : "";
    throw new JobDataError(queue, `${where}${issue.message}`);
  }
  return result.data as JobData<Q>;
}

/**
 * BullMQ refuses integer-looking custom ids and ids with ":" (its own key separator); Pulse refuses
 * them in both runners alike, so code that works in-process also works on Redis.
 */
export function checkJobId(queue: QueueName, jobId: string): void {
  if (!/^[A-Za-z0-9_.-]{1,500}$/.test(jobId) || /^\d+$/.test(jobId)) {
    throw new JobDataError(queue, `job id "${jobId}" must be letters, digits, _ . - (no ":") and not a bare integer`);
  }
}
