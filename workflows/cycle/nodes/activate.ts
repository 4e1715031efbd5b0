import { analyzeTables } from "../../../store/analyze.js";
import { hasCycleEntry } from "../../../store/audit-repo.js";
import { setCycleStatus } from "../../../store/cycles-repo.js";
import { armCounts, ensureExperiment, saveAssignments } from "../../../store/experiments-repo.js";
import { targetDecisions } from "../../../store/targets-repo.js";
import { enqueueActivationShards } from "../activation-shard.js";
import type { CycleDeps } from "../deps.js";
import { experimentIdOf, jobIds } from "../ids.js";
import type { CycleState } from "../state.js";
import { activationSummary, assignArms, assignmentEntries, windowEndOf } from "../steps/activation.js";

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

  const rows = await targetDecisions(deps.db, cycleId);
  const assignments = assignArms(experimentId, settings, rows);

  await ensureExperiment(deps.db, {
    experimentId,
    cycleId,
    name: `cycle ${cycleId}`,
    source: "pulse",
    salt: experimentId,
    holdoutShares: { default: settings.holdoutShare },
    startedAt: asOf,
  });
  await saveAssignments(deps.db, experimentId, assignments);
  // Activation shards and measurement join the assignments: give the planner their size.
  await analyzeTables(deps.db, ["holdout_assignments"]);
  const counts = await armCounts(deps.db, experimentId);

  // The assignments are audited in one append, once: a re-run of this node (its process
  // died, or enqueueing failed) finds the same assignments already audited and does not log them twice.
  if (!(await hasCycleEntry(deps.db, cycleId, "tool_call", { tool: "holdout" }))) {
    const contacts = rows.filter((r) => r.decision === "contact").length;
    const entries = assignmentEntries(deps.actor, cycleId, experimentId, settings.holdoutShare, contacts, counts, assignments);
    await deps.audit.appendMany(entries, { asSets: true });
  }

  // Activation shards per campaign, then the measurement when the window closes.
  const shards = await enqueueActivationShards(deps, cycleId, state.copy?.campaigns ?? [], settings.shardSize);
  const windowEndsAt = windowEndOf(asOf, settings.attributionDays);
  await deps.runner.enqueue(
    "measure",
    { cycleId, windowEndsAt: windowEndsAt.toISOString() },
    { jobId: jobIds.measure(cycleId), delayMs: Math.max(0, windowEndsAt.getTime() - deps.clock.now().getTime()) },
  );
  await setCycleStatus(deps.db, cycleId, "activated");
  return { status: "activated", activation: activationSummary(experimentId, counts, shards, deps.clock.now(), windowEndsAt) };
}
