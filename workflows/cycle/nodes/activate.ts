import { analyzeTables } from "../../../store/analyze.js";
import { hasCycleEntry } from "../../../store/audit-repo.js";
import { setCycleStatus } from "../../../store/cycles-repo.js";
import { armCounts, saveAssignments } from "../../../store/experiments-repo.js";
import { targetDecisions, treatedCountsByCampaign } from "../../../store/targets-repo.js";
import { ensureExperiment } from "../../../store/experiments-repo.js";
import { assignHoldout, checkSampleRatio } from "../../../tools/holdout.js";
import { toolCallEntry } from "../audit-helpers.js";
import type { CycleDeps } from "../deps.js";
import type { CycleState } from "../state.js";

export const experimentIdOf = (cycleId: string) => `${cycleId}.exp`;
const DAY = 86_400_000;

/** Stable, queue-safe job ids: the same work always gets the same id, so it cannot be enqueued twice. */
export const jobIds = {
  activation: (cycleId: string, campaignIndex: number, shard: number) => `${cycleId}.act.${campaignIndex}.${shard}`,
  send: (messageId: string) => `send.${messageId}`,
  measure: (cycleId: string) => `${cycleId}.measure`,
};

/**
 * Activation: randomized holdouts are assigned and recorded before anything is sent, then the
 * sends are handed to the activation queue in shards, and the measurement is scheduled for when
 * the attribution window closes. Every step is idempotent (assignments and jobs have fixed keys).
 */
export async function activateNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  if (state.activation) return {};
  const { cycleId, settings } = state;
  const experimentId = experimentIdOf(cycleId);
  const asOf = new Date(state.asOf);
  await ensureExperiment(deps.db, {
    experimentId,
    cycleId,
    name: `cycle ${cycleId}`,
    source: "pulse",
    salt: experimentId,
    holdoutShares: { default: settings.holdoutShare },
    startedAt: asOf,
  });

  const rows = await targetDecisions(deps.db, cycleId);
  const contacts = rows.filter((r) => r.decision === "contact");
  const assigned = assignHoldout({
    experimentId,
    salt: "pulse-holdout-v1",
    customers: contacts.map((r) => ({ customerId: r.customerId, segment: r.segmentId })),
    defaultHoldoutShare: settings.holdoutShare,
    globalControl: { salt: settings.globalControlSalt, share: settings.globalControlShare },
  });
  const segmentById = new Map(contacts.map((r) => [r.customerId, r.segmentId]));
  // The global control group is recorded too (never contacted), so its outcomes can be compared later.
  const globalControl = rows.filter((r) => r.code === "global_control");
  const assignments = [
    ...assigned.assignments.map((a) => ({
      customerId: a.customerId,
      segmentId: segmentById.get(a.customerId) ?? null,
      arm: a.arm,
      bucket: a.bucket,
    })),
    ...globalControl.map((r) => ({ customerId: r.customerId, segmentId: r.segmentId, arm: "global_control" as const, bucket: 0 })),
  ];
  await saveAssignments(deps.db, experimentId, assignments);
  // Activation shards and measurement join the assignments: give the planner their size.
  await analyzeTables(deps.db, ["holdout_assignments"]);
  const counts = await armCounts(deps.db, experimentId);
  const srm = checkSampleRatio({
    observed: { treatment: counts.treatment ?? 0, holdout: counts.holdout ?? 0 },
    expected: { treatment: 1 - settings.holdoutShare, holdout: settings.holdoutShare },
  });
  // The assignments are audited in one append, once: a re-run of this node (its process
  // died, or enqueueing failed) finds the same assignments already audited and does not log them twice.
  if (!(await hasCycleEntry(deps.db, cycleId, "tool_call", { tool: "holdout" }))) {
    await deps.audit.appendMany([
      toolCallEntry(
        deps.actor,
        cycleId,
        "holdout",
        { experimentId, contacts: contacts.length, holdoutShare: settings.holdoutShare },
        counts,
        `${counts.treatment ?? 0} treated, ${counts.holdout ?? 0} held out, ${counts.global_control ?? 0} in the global control; SRM p = ${srm.pValue.toPrecision(3)}`,
      ),
      ...assignments.map((a) => ({
        kind: "holdout" as const,
        actor: deps.actor,
        cycleId,
        customerId: a.customerId,
        entry: { experimentId, arm: a.arm, bucket: a.arm === "global_control" ? null : a.bucket, segmentId: a.segmentId },
      })),
    ]);
  }

  // Activation shards per campaign, then the measurement when the window closes.
  const treatedByCampaign = await treatedCountsByCampaign(deps.db, cycleId, experimentId);
  let shards = 0;
  const campaigns = state.copy?.campaigns ?? [];
  for (const [index, c] of campaigns.entries()) {
    const treated = treatedByCampaign.get(c.campaignId) ?? 0;
    const shardCount = Math.max(1, Math.ceil(treated / settings.shardSize));
    for (let shard = 0; shard < shardCount && treated > 0; shard++) {
      await deps.runner.enqueue(
        "activation",
        { cycleId, campaignId: c.campaignId, shard, shardCount },
        { jobId: jobIds.activation(cycleId, index, shard) },
      );
      shards++;
    }
  }
  const windowEndsAt = new Date(asOf.getTime() + settings.attributionDays * DAY);
  await deps.runner.enqueue(
    "measure",
    { cycleId, windowEndsAt: windowEndsAt.toISOString() },
    { jobId: jobIds.measure(cycleId), delayMs: Math.max(0, windowEndsAt.getTime() - deps.clock.now().getTime()) },
  );
  await setCycleStatus(deps.db, cycleId, "activated");
  return {
    status: "activated",
    activation: {
      experimentId,
      activatedAt: deps.clock.now().toISOString(),
      treated: counts.treatment ?? 0,
      holdout: counts.holdout ?? 0,
      globalControl: counts.global_control ?? 0,
      shards,
      measureAt: windowEndsAt.toISOString(),
    },
  };
}
