import type { ProcessorMap } from "../jobs/types.js";
import { activateShard } from "./activation-shard.js";
import { sendJob } from "./delivery.js";
import type { CycleDeps } from "./deps.js";
import { cycleIdForJob } from "./ids.js";
import type { CycleService } from "./service.js";

/**
 * How an in-process runner of the cycle runs jobs at once. Send jobs (a batch of messages each)
 * mostly wait on the database, and the sends running at the same moment are grouped into one
 * transaction (delivery.ts), so more of them at once means fewer, larger groups. Activation shards each hold a shard's messages in
 * memory, so fewer of them run at once.
 */
export const IN_PROCESS_RUNNER_OPTIONS = { concurrency: 512, queueConcurrency: { activation: 16 } } as const;

/** The processors BullMQ workers and the in-process runner both call. */
export function cycleProcessors(deps: CycleDeps, service: CycleService): ProcessorMap {
  const send = async (data: { messageId?: string; messageIds?: readonly string[] }) => sendJob(deps, data);
  return {
    cycle: async (data, ctx) => {
      if (data.kind === "resume") return `${data.cycleId}: ${(await service.resume(data.cycleId!)).state.status}`;
      // Each tick first settles the human gate: decisions not yet carried out, requests that expired.
      const settled = data.trigger === "schedule" ? await service.settleApprovals() : [];
      // A retried job (the worker died, or a step failed) must not start a second cycle for the same tick.
      const { cycleId, state } = await service.start({
        requestedBy: `scheduler:${data.trigger}`,
        cycleId: data.cycleId ?? cycleIdForJob(ctx.jobId),
      });
      return `${cycleId}: ${state.status}${settled.length ? `; settled the approvals of ${settled.join(", ")}` : ""}`;
    },
    activation: (data) => activateShard(deps, data),
    "send-email": send,
    "send-sms": send,
    "send-push": send,
    "send-in_app": send,
    measure: async (data) => (await service.closeWindow(data.cycleId)).state.status,
  };
}
