import type { NewAuditEntry } from "../../../guardrails/audit-entries.js";
import { assignHoldout, checkSampleRatio } from "../../../tools/holdout.js";
import { toolCallEntry } from "../audit-helpers.js";
import type { CycleSettings } from "../settings.js";
import type { CycleState } from "../state.js";

/**
 * The pure steps of the activate node: who is held out, whether the arms came out in the expected
 * ratio, what is audited and the state's summary. nodes/activate.ts loads and saves around them.
 */

const DAY = 86_400_000;
/** The holdout's assignment salt; kept apart from the experiment id so re-runs hash the same way. */
export const HOLDOUT_SALT = "pulse-holdout-v1";

export interface TargetDecision {
  customerId: string;
  segmentId: string;
  decision: "contact" | "skip";
  code: string | null;
}

export interface Assignment {
  customerId: string;
  segmentId: string | null;
  arm: "treatment" | "holdout" | "global_control";
  bucket: number;
}

type HoldoutSettings = Pick<CycleSettings, "holdoutShare" | "globalControlSalt" | "globalControlShare">;

/**
 * Randomized holdout of the customers planned for contact, per segment, and the global control
 * (skipped at planning, never contacted) recorded alongside so its outcomes can be compared later.
 */
export function assignArms(experimentId: string, settings: HoldoutSettings, rows: readonly TargetDecision[]): Assignment[] {
  const contacts = rows.filter((r) => r.decision === "contact");
  const assigned = assignHoldout({
    experimentId,
    salt: HOLDOUT_SALT,
    customers: contacts.map((r) => ({ customerId: r.customerId, segment: r.segmentId })),
    defaultHoldoutShare: settings.holdoutShare,
    globalControl: { salt: settings.globalControlSalt, share: settings.globalControlShare },
  });
  const segmentById = new Map(contacts.map((r) => [r.customerId, r.segmentId]));
  return [
    ...assigned.assignments.map((a) => ({
      customerId: a.customerId,
      segmentId: segmentById.get(a.customerId) ?? null,
      arm: a.arm,
      bucket: a.bucket,
    })),
    ...rows
      .filter((r) => r.code === "global_control")
      .map((r) => ({ customerId: r.customerId, segmentId: r.segmentId, arm: "global_control" as const, bucket: 0 })),
  ];
}

/**
 * The activation's audit entries: the holdout tool call (with the arm counts stored and the sample
 * ratio check) and one holdout entry per customer.
 */
export function assignmentEntries(
  actor: string,
  cycleId: string,
  experimentId: string,
  holdoutShare: number,
  contacts: number,
  counts: Readonly<Record<string, number>>,
  assignments: readonly Assignment[],
): NewAuditEntry[] {
  const srm = checkSampleRatio({
    observed: { treatment: counts.treatment ?? 0, holdout: counts.holdout ?? 0 },
    expected: { treatment: 1 - holdoutShare, holdout: holdoutShare },
  });
  return [
    toolCallEntry(
      actor,
      cycleId,
      "holdout",
      { experimentId, contacts, holdoutShare },
      counts,
      `${counts.treatment ?? 0} treated, ${counts.holdout ?? 0} held out, ${counts.global_control ?? 0} in the global control; SRM p = ${srm.pValue.toPrecision(3)}`,
    ),
    ...assignments.map((a): NewAuditEntry => ({
      kind: "holdout",
      actor,
      cycleId,
      customerId: a.customerId,
      entry: { experimentId, arm: a.arm, bucket: a.arm === "global_control" ? null : a.bucket, segmentId: a.segmentId },
    })),
  ];
}

/** When the attribution window of a cycle that was planned as of `asOf` closes. */
export const windowEndOf = (asOf: Date, attributionDays: number) => new Date(asOf.getTime() + attributionDays * DAY);

/** The state's activation summary. */
export function activationSummary(
  experimentId: string,
  counts: Readonly<Record<string, number>>,
  shards: number,
  activatedAt: Date,
  measureAt: Date,
): NonNullable<CycleState["activation"]> {
  return {
    experimentId,
    activatedAt: activatedAt.toISOString(),
    treated: counts.treatment ?? 0,
    holdout: counts.holdout ?? 0,
    globalControl: counts.global_control ?? 0,
    shards,
    measureAt: measureAt.toISOString(),
  };
}
