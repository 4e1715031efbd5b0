import { interrupt } from "@langchain/langgraph";
import { z } from "zod";
import { writeReadout } from "../../../agents/measurement-analyst/index.js";
import { analyzeTables } from "../../../store/analyze.js";
import { hasCycleEntry } from "../../../store/audit-repo.js";
import { setCycleStatus } from "../../../store/cycles-repo.js";
import { measureOutcomes, outcomeRecords } from "../../../store/experiments-repo.js";
import { cycleLlm, type CycleDeps } from "../deps.js";
import type { CycleState } from "../state.js";
import { liftGroups, liftLines, liftRowSummary, measurementEntries, measurementSummary } from "../steps/measurement.js";

export const windowClosedSchema = z.object({ windowClosedAt: z.string() });

/** Waits, durably, until the measurement job says the attribution window has closed. */
export function awaitWindowNode(state: CycleState): Partial<CycleState> {
  if (state.measurement) return {};
  const raw = interrupt({ kind: "attribution_window", cycleId: state.cycleId, windowEndsAt: state.activation!.measureAt });
  windowClosedSchema.parse(raw);
  return {};
}

/**
 * Incremental lift per segment and strategy: treated against randomized holdout over the same
 * window, with 95% intervals and the sample-ratio check; stored, audited and read out.
 */
export async function measureNode(state: CycleState, deps: CycleDeps): Promise<Partial<CycleState>> {
  if (state.measurement) return {};
  const { cycleId, settings } = state;
  const llm = cycleLlm(deps, state);
  const experimentId = state.activation!.experimentId;
  const from = new Date(state.asOf);
  const to = new Date(state.activation!.measureAt);
  await measureOutcomes(deps.db, experimentId, from, to);
  // The outcomes are read next (here and by learn); the cycle's messages, all sent by now, are read
  // by the next cycle's eligibility checks.
  await analyzeTables(deps.db, [
    "experiment_outcomes",
    { table: "messages", columns: ["message_id", "cycle_id", "campaign_id", "customer_id", "channel", "status", "sent_at", "created_at"] },
  ]);
  const records = await outcomeRecords(deps.db, cycleId, experimentId);
  const lift = liftGroups(records, new Map(state.refresh!.segments.map((s) => [s.segmentId, s.name])), settings.holdoutShare);
  const { readout, provenance } = await writeReadout(liftLines(lift.groups), { llm: llm.client });
  // Audited once, in one append: a re-run of this node (its process died before the checkpoint) measures again but logs nothing twice.
  if (!(await hasCycleEntry(deps.db, cycleId, "measurement"))) {
    const window = { experimentId, records: records.length, from, to };
    await deps.audit.appendMany(measurementEntries(deps.actor, cycleId, window, lift, readout, deps.makeLlm ? provenance : null));
  }
  await setCycleStatus(deps.db, cycleId, "measured", { summary: liftRowSummary(lift.groups) });
  return {
    status: "measured",
    agents: { ...state.agents, "measurement-analyst": provenance },
    measurement: measurementSummary(lift.groups, readout, deps.clock.now()),
    llm: llm.usage(),
  };
}
