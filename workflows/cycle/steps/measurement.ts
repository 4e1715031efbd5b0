import { createHash } from "node:crypto";
import type { LiftLine, Readout } from "../../../agents/measurement-analyst/index.js";
import type { AgentProvenance } from "../../../agents/run-agent.js";
import type { NewAuditEntry } from "../../../guardrails/audit-entries.js";
import type { OutcomeRecord } from "../../../store/experiments-repo.js";
import { measureLift, type LiftOutput } from "../../../tools/lift.js";
import { agentDecisionEntry, toolCallEntry } from "../audit-helpers.js";
import type { CycleState } from "../state.js";

/**
 * The pure steps of the measure node: lift per segment × strategy and over all campaigns, the lines
 * the analyst reads out, the audit entries and the summaries. nodes/measure.ts loads and saves.
 */

export type LiftGroup = LiftOutput["groups"][number];

export const ALL_CAMPAIGNS = "all campaigns";

/** Treated against randomized holdout per segment × strategy (by the segment's name), then over every campaign. */
export function liftGroups(
  records: readonly OutcomeRecord[],
  segmentNames: ReadonlyMap<string, string>,
  holdoutShare: number,
): { groups: LiftGroup[]; segmentGroups: number } {
  const outcome = (r: OutcomeRecord) => ({
    arm: r.arm,
    converted: r.converted,
    revenue: r.revenue,
    margin: r.margin,
    unsubscribed: r.unsubscribed,
  });
  const bySegment = measureLift({
    records: records.map((r) => ({
      customerId: r.customerId,
      group: `${segmentNames.get(r.segmentId) ?? r.segmentId} × ${r.strategy}`,
      ...outcome(r),
    })),
    defaultHoldoutShare: holdoutShare,
  });
  const all = measureLift({
    records: records.map((r) => ({ group: ALL_CAMPAIGNS, ...outcome(r) })),
    defaultHoldoutShare: holdoutShare,
  });
  return { groups: [...bySegment.groups, ...all.groups], segmentGroups: bySegment.groups.length };
}

const ci = (c: { low: number; high: number } | null): [number, number] => (c ? [c.low, c.high] : [Number.NaN, Number.NaN]);

/** What the measurement analyst reads out, one line per group. */
export function liftLines(groups: readonly LiftGroup[]): LiftLine[] {
  return groups.map((g) => ({
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
}

export interface MeasuredWindow {
  experimentId: string;
  records: number;
  from: Date;
  to: Date;
}

/**
 * The measurement's audit entries: the lift tool call, the measurement with a digest of the groups
 * and the readout, and (when an LLM is configured) which twin of the analyst wrote the readout.
 */
export function measurementEntries(
  actor: string,
  cycleId: string,
  window: MeasuredWindow,
  lift: { groups: readonly LiftGroup[]; segmentGroups: number },
  readout: Readout,
  analyst: AgentProvenance | null,
): NewAuditEntry[] {
  const { experimentId } = window;
  return [
    toolCallEntry(
      actor,
      cycleId,
      "lift",
      { experimentId, records: window.records, from: window.from.toISOString(), to: window.to.toISOString() },
      lift.groups,
      `lift for ${lift.segmentGroups} segment × strategy groups`,
    ),
    {
      kind: "measurement",
      actor,
      cycleId,
      entry: {
        experimentId,
        readoutDigest: createHash("sha256").update(JSON.stringify(lift.groups)).digest("hex"),
        summary: [readout.headline, ...readout.lines].join("\n").slice(0, 2000),
      },
    },
    ...(analyst ? [agentDecisionEntry(actor, cycleId, "measurement-analyst", `readout of ${experimentId}`, analyst)] : []),
  ];
}

/** The lift the cycle row keeps for listings. */
export function liftRowSummary(groups: readonly LiftGroup[]) {
  return {
    lift: groups.map((g) => ({ group: g.group, conversionDiff: g.conversion.difference, ci: g.conversion.ci, significant: g.significant })),
  };
}

/** The state's measurement summary. */
export function measurementSummary(
  groups: readonly LiftGroup[],
  readout: Readout,
  measuredAt: Date,
): NonNullable<CycleState["measurement"]> {
  return {
    measuredAt: measuredAt.toISOString(),
    headline: readout.headline,
    lines: readout.lines,
    groups: groups.map((g) => ({ ...g })),
    srmFlagged: groups.some((g) => g.srm.mismatch),
  };
}
