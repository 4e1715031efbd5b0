import { createHash } from "node:crypto";
import { interrupt } from "@langchain/langgraph";
import { z } from "zod";
import { writeReadout, type LiftLine } from "../../../agents/measurement-analyst/index.js";
import { analyzeTables } from "../../../store/analyze.js";
import { hasCycleEntry } from "../../../store/audit-repo.js";
import { setCycleStatus } from "../../../store/cycles-repo.js";
import { measureOutcomes, outcomeRecords } from "../../../store/experiments-repo.js";
import { measureLift } from "../../../tools/lift.js";
import { agentDecisionEntry, toolCallEntry } from "../audit-helpers.js";
import { cycleLlm, type CycleDeps } from "../deps.js";
import type { CycleState } from "../state.js";

export const windowClosedSchema = z.object({ windowClosedAt: z.string() });

/** Waits, durably, until the measurement job says the attribution window has closed. */
export function awaitWindowNode(state: CycleState): Partial<CycleState> {
  if (state.measurement) return {};
  const raw = interrupt({ kind: "attribution_window", cycleId: state.cycleId, windowEndsAt: state.activation!.measureAt });
  windowClosedSchema.parse(raw);
  return {};
}

const ci = (c: { low: number; high: number } | null): [number, number] => (c ? [c.low, c.high] : [Number.NaN, Number.NaN]);

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
  const segName = new Map(state.refresh!.segments.map((s) => [s.segmentId, s.name]));
  const lift = measureLift({
    records: records.map((r) => ({
      customerId: r.customerId,
      group: `${segName.get(r.segmentId) ?? r.segmentId} × ${r.strategy}`,
      arm: r.arm,
      converted: r.converted,
      revenue: r.revenue,
      margin: r.margin,
      unsubscribed: r.unsubscribed,
    })),
    defaultHoldoutShare: settings.holdoutShare,
  });
  const all = measureLift({
    records: records.map((r) => ({
      group: "all campaigns",
      arm: r.arm,
      converted: r.converted,
      revenue: r.revenue,
      margin: r.margin,
      unsubscribed: r.unsubscribed,
    })),
    defaultHoldoutShare: settings.holdoutShare,
  });
  const groups = [...lift.groups, ...all.groups];
  const lines: LiftLine[] = groups.map((g) => ({
    group: g.group,
    treated: g.treatedCount,
    holdout: g.holdoutCount,
    conversionTreated: g.conversion.treated,
    conversionHoldout: g.conversion.holdout,
    conversionDiff: g.conversion.difference,
    conversionCi: ci(g.conversion.ci),
    revenueDiff: g.revenuePerCustomer.difference,
    revenueCi: ci(g.revenuePerCustomer.ci),
    unsubscribeDiff: g.unsubscribeRate.difference,
    significant: g.significant,
    srmFlagged: g.srm.mismatch,
  }));
  const { readout, provenance } = await writeReadout(lines, { llm: llm.client });
  const digest = createHash("sha256").update(JSON.stringify(groups)).digest("hex");
  // Audited once, in one append: a re-run of this node (its process died before the checkpoint) measures again but logs nothing twice.
  if (!(await hasCycleEntry(deps.db, cycleId, "measurement"))) {
    await deps.audit.appendMany([
      toolCallEntry(
        deps.actor,
        cycleId,
        "lift",
        { experimentId, records: records.length, from: from.toISOString(), to: to.toISOString() },
        groups,
        `lift for ${lift.groups.length} segment × strategy groups`,
      ),
      {
        kind: "measurement",
        actor: deps.actor,
        cycleId,
        entry: { experimentId, readoutDigest: digest, summary: [readout.headline, ...readout.lines].join("\n").slice(0, 2000) },
      },
      ...(deps.makeLlm ? [agentDecisionEntry(deps.actor, cycleId, "measurement-analyst", `readout of ${experimentId}`, provenance)] : []),
    ]);
  }
  await setCycleStatus(deps.db, cycleId, "measured", {
    summary: {
      lift: groups.map((g) => ({
        group: g.group,
        conversionDiff: g.conversion.difference,
        ci: g.conversion.ci,
        significant: g.significant,
      })),
    },
  });
  return {
    status: "measured",
    agents: { ...state.agents, "measurement-analyst": provenance },
    measurement: {
      measuredAt: deps.clock.now().toISOString(),
      headline: readout.headline,
      lines: readout.lines,
      groups: groups.map((g) => ({ ...g })),
      srmFlagged: groups.some((g) => g.srm.mismatch),
    },
    llm: llm.usage(),
  };
}
