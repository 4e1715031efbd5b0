import type { Db } from "../store/db.js";
import { readCustomerEntries, readCycleEntries, type AuditRow } from "../store/audit-repo.js";
import {
  AUDIT_ENTRY_SCHEMAS,
  isAuditKind,
  type ApprovalEntry,
  type AuditKind,
  type EligibilityEntry,
  type GuardrailVerdictEntry,
  type HoldoutEntry,
  type PlanSegment,
  type SegmentAssignmentEntry,
  type SendEntry,
  type SuppressionEntry,
} from "./audit-entries.js";
import { AuditCustomerNotFoundError } from "./audit-errors.js";

/**
 * Rebuilds, from the audit log alone, why a customer did or did not get a message in a cycle: the
 * segment and scores, the plan for that segment, eligibility verdicts, holdout arm, the approval,
 * and the send (template, variant, prompt version, offer, consent basis) or suppression. Every fact
 * carries the seq of the entry it came from, so a reviewer can check it against `pulse audit export`.
 */

export type WhyOutcome = "sent" | "held_out" | "suppressed" | "not_eligible" | "not_approved" | "undecided";

interface Evidence {
  seq: number;
  at: string;
}

export interface WhyApproval extends Evidence {
  approvalId: string;
  status: ApprovalEntry["event"];
  requestedBy: string | null;
  by: string;
  byPolicy: boolean;
  riskTier: ApprovalEntry["riskTier"];
  triggers: ApprovalEntry["triggers"];
  policyVersion: string;
  reason: string | null;
}

export interface WhyReport {
  customerId: string;
  /** The cycle explained: the one asked for, else the latest with entries about the customer (null: none). */
  cycleId: string | null;
  /** Other cycles with entries about this customer, newest first. */
  otherCycles: string[];
  outcome: WhyOutcome;
  summary: string;
  segment: (SegmentAssignmentEntry & Evidence) | null;
  plan: (PlanSegment & Evidence & { planId: string; planVersion: number }) | null;
  eligibility: (EligibilityEntry & Evidence)[];
  holdout: (HoldoutEntry & Evidence) | null;
  approval: WhyApproval | null;
  sends: (SendEntry & Evidence)[];
  suppressions: (SuppressionEntry & Evidence)[];
  verdicts: (GuardrailVerdictEntry & Evidence)[];
  /** Entries about the customer that no schema of their kind accepts (seq): shown, not interpreted. */
  unreadable: number[];
}

type Parsed = { row: AuditRow; kind: AuditKind; entry: unknown };

function parseRows(rows: readonly AuditRow[], unreadable: number[]): Parsed[] {
  const out: Parsed[] = [];
  for (const row of rows) {
    if (!isAuditKind(row.kind)) continue;
    const parsed = AUDIT_ENTRY_SCHEMAS[row.kind].safeParse(row.entry);
    if (parsed.success) out.push({ row, kind: row.kind, entry: parsed.data });
    else unreadable.push(row.seq);
  }
  return out;
}

const ev = (row: AuditRow): Evidence => ({ seq: row.seq, at: row.at.toISOString() });

function latest<K extends AuditKind, T>(items: readonly Parsed[], kind: K): { row: AuditRow; entry: T } | undefined {
  const found = items.filter((p) => p.kind === kind).at(-1);
  return found ? { row: found.row, entry: found.entry as T } : undefined;
}

function all<T>(items: readonly Parsed[], kind: AuditKind): (T & Evidence)[] {
  return items.filter((p) => p.kind === kind).map((p) => ({ ...(p.entry as T), ...ev(p.row) }));
}

/** Builds the report from the customer's rows and the cycle's plan and approval rows. Pure. */
export function explainCustomer(
  customerId: string,
  customerRows: readonly AuditRow[],
  cycleRows: readonly AuditRow[],
  cycleId?: string,
): WhyReport {
  const cycles: string[] = [];
  for (const r of [...customerRows].reverse()) if (r.cycleId !== null && !cycles.includes(r.cycleId)) cycles.push(r.cycleId);
  const chosen = cycleId ?? cycles[0] ?? null;
  const inCycle = customerRows.filter((r) => r.cycleId === chosen);
  if (customerRows.length === 0 || (cycleId !== undefined && inCycle.length === 0))
    throw new AuditCustomerNotFoundError(customerId, cycleId);

  const unreadable: number[] = [];
  const mine = parseRows(inCycle, unreadable);
  // Facts written outside any cycle (e.g. a standalone segmentation run) fill in what the cycle lacks.
  const lastSeqInCycle = inCycle.at(-1)?.seq ?? Number.POSITIVE_INFINITY;
  const outside = parseRows(
    customerRows.filter((r) => r.cycleId === null && r.seq < lastSeqInCycle),
    [],
  );
  const cycleLevel = parseRows(cycleRows, unreadable);

  const seg = latest<"segment_assignment", SegmentAssignmentEntry>(mine, "segment_assignment") ?? latest(outside, "segment_assignment");
  const hold = latest<"holdout", HoldoutEntry>(mine, "holdout") ?? latest(outside, "holdout");
  const segment = seg ? { ...seg.entry, ...ev(seg.row) } : null;
  const holdout = hold ? { ...hold.entry, ...ev(hold.row) } : null;

  let plan: WhyReport["plan"] = null;
  const planRow = latest<"plan", { planId: string; version: number; segments: PlanSegment[] }>(cycleLevel, "plan");
  if (planRow && segment) {
    const s = planRow.entry.segments.find((p) => p.segmentId === segment.segmentId);
    if (s) plan = { ...s, planId: planRow.entry.planId, planVersion: planRow.entry.version, ...ev(planRow.row) };
  }

  const approval = latestApproval(cycleLevel);
  const eligibility = all<EligibilityEntry>(mine, "eligibility");
  const sends = all<SendEntry>(mine, "send");
  const suppressions = all<SuppressionEntry>(mine, "suppression");
  const verdicts = all<GuardrailVerdictEntry>(mine, "guardrail_verdict");

  let outcome: WhyOutcome = "undecided";
  if (sends.length > 0) outcome = "sent";
  else if (holdout && holdout.arm !== "treatment") outcome = "held_out";
  else if (suppressions.length > 0) outcome = "suppressed";
  else if (eligibility.length > 0 && eligibility.every((e) => !e.eligible)) outcome = "not_eligible";
  else if (approval && (approval.status === "rejected" || approval.status === "expired")) outcome = "not_approved";

  const report: WhyReport = {
    customerId,
    cycleId: chosen,
    otherCycles: cycles.filter((c) => c !== chosen),
    outcome,
    summary: "",
    segment,
    plan,
    eligibility,
    holdout,
    approval,
    sends,
    suppressions,
    verdicts,
    unreadable,
  };
  report.summary = summarize(report);
  return report;
}

function latestApproval(cycleLevel: readonly Parsed[]): WhyApproval | null {
  const events = cycleLevel.filter((p) => p.kind === "approval").map((p) => ({ row: p.row, entry: p.entry as ApprovalEntry }));
  const last = events.at(-1);
  if (!last) return null;
  const requested = events.find((e) => e.entry.approvalId === last.entry.approvalId && e.entry.event === "requested");
  return {
    approvalId: last.entry.approvalId,
    status: last.entry.event,
    requestedBy: requested?.entry.by ?? null,
    by: last.entry.by,
    byPolicy: last.entry.byPolicy,
    riskTier: last.entry.riskTier,
    triggers: last.entry.triggers,
    policyVersion: last.entry.policyVersion,
    reason: last.entry.reason,
    ...ev(last.row),
  };
}

function pct(depth: number): string {
  return `${Math.round(depth * 1000) / 10}%`;
}

function summarize(r: WhyReport): string {
  const who = `Customer ${r.customerId}`;
  const where = r.cycleId ? ` in cycle ${r.cycleId}` : "";
  const seg = r.segment ? ` (segment "${r.segment.segmentName}")` : "";
  switch (r.outcome) {
    case "sent": {
      const s = r.sends[0]!;
      const offer = s.offer && s.offer.depth > 0 ? ` with a ${pct(s.offer.depth)} ${s.offer.type} offer` : "";
      const appr = r.approval ? `, approved by ${r.approval.byPolicy ? `policy ${r.approval.policyVersion}` : r.approval.by}` : "";
      return `${who}${seg} was sent ${s.channel} message ${s.messageId}${where}${offer}${appr}, on ${s.consentBasis.purpose} consent for ${s.consentBasis.channel} recorded ${s.consentBasis.recordedAt}.`;
    }
    case "held_out":
      return `${who}${seg} got no message${where}: assigned to the ${r.holdout!.arm.replace("_", " ")} arm of experiment ${r.holdout!.experimentId}.`;
    case "suppressed":
      return `${who}${seg} got no message${where}: suppressed (${r.suppressions.map((s) => `${s.channel}: ${s.reasonCode}`).join("; ")}).`;
    case "not_eligible":
      return `${who}${seg} got no message${where}: not eligible on any channel considered (${r.eligibility
        .map((e) => `${e.channel}: ${e.reasons.map((x) => x.code).join(", ") || "no reason recorded"}`)
        .join("; ")}).`;
    case "not_approved":
      return `${who}${seg} got no message${where}: the plan was ${r.approval!.status}${r.approval!.status === "rejected" ? ` by ${r.approval!.by}` : ""}.`;
    default:
      return `${who}${seg} has no recorded send or suppression${where}; the log shows no final decision for this customer.`;
  }
}

/** Reads the customer's entries (and their cycle's plan and approval) and explains them. */
export async function whyCustomer(db: Db, customerId: string, options: { cycleId?: string } = {}): Promise<WhyReport> {
  const customerRows = await readCustomerEntries(db, customerId);
  let cycleId = options.cycleId;
  if (cycleId === undefined) cycleId = [...customerRows].reverse().find((r) => r.cycleId !== null)?.cycleId ?? undefined;
  const cycleRows = cycleId ? await readCycleEntries(db, cycleId, ["plan", "approval"]) : [];
  return explainCustomer(customerId, customerRows, cycleRows, options.cycleId);
}

/** The report as text for people. */
export function renderWhy(r: WhyReport): string {
  const lines: string[] = [r.summary, ""];
  const at = (e: Evidence) => `[seq ${e.seq}]`;
  lines.push(`cycle         ${r.cycleId ?? "(none)"}${r.otherCycles.length ? `   (also in: ${r.otherCycles.join(", ")})` : ""}`);
  if (r.segment) {
    const sc = Object.entries(r.segment.scores)
      .filter(([, v]) => v !== undefined && v !== null)
      .map(([k, v]) => `${k} ${Number(v).toFixed(3)}`)
      .join(", ");
    lines.push(
      `segment       ${r.segment.segmentId} "${r.segment.segmentName}" (run ${r.segment.runId})${r.segment.isOutlier ? " outlier" : ""} ${at(r.segment)}`,
    );
    lines.push(`scores        ${sc || "(none recorded)"}`);
  } else lines.push("segment       (no segment assignment recorded)");
  if (r.plan) {
    const offer = r.plan.offer ? `${r.plan.offer.type} ${pct(r.plan.offer.depth)}` : "no offer";
    lines.push(
      `plan          ${r.plan.strategy} via ${r.plan.channel ?? "no channel"}, ${offer}, timing ${r.plan.timing}, budget ${r.plan.budget} (plan ${r.plan.planId} v${r.plan.planVersion}) ${at(r.plan)}`,
    );
    for (const reason of r.plan.reasons) lines.push(`                - ${reason}`);
  } else lines.push("plan          (no plan entry for this segment)");
  if (r.holdout)
    lines.push(
      `holdout       ${r.holdout.arm} in experiment ${r.holdout.experimentId}${r.holdout.bucket === null ? "" : `, bucket ${r.holdout.bucket.toFixed(4)}`} ${at(r.holdout)}`,
    );
  else lines.push("holdout       (no assignment recorded)");
  if (r.eligibility.length === 0) lines.push("eligibility   (no verdict recorded)");
  for (const e of r.eligibility) {
    lines.push(`eligibility   ${e.channel}: ${e.eligible ? "eligible" : "NOT eligible"} ${at(e)}`);
    for (const reason of e.reasons) lines.push(`                - ${reason.code}: ${reason.message}`);
  }
  for (const v of r.verdicts)
    lines.push(
      `guardrail     ${v.check} on ${v.subject}: ${v.passed ? "passed" : "FLAGGED"}${v.reasons.length ? ` (${v.reasons.join("; ")})` : ""} ${at(v)}`,
    );
  if (r.approval) {
    const a = r.approval;
    const by = a.byPolicy ? `policy ${a.policyVersion}` : a.by;
    lines.push(
      `approval      ${a.status} by ${by} at ${a.at}, risk tier ${a.riskTier}${a.requestedBy ? `, requested by ${a.requestedBy}` : ""} ${at(a)}`,
    );
    for (const t of a.triggers) lines.push(`                - ${t.code}: ${t.message}`);
    if (a.reason) lines.push(`                reason: ${a.reason}`);
  } else lines.push("approval      (no approval recorded for the cycle)");
  for (const s of r.sends) {
    lines.push(`send          ${s.channel} message ${s.messageId} at ${s.at} ${at(s)}`);
    lines.push(
      `                template ${s.templateId ?? "-"}, variant ${s.variantId ?? "-"}, prompt ${s.prompt ? `${s.prompt.id} v${s.prompt.version} (${s.prompt.hash.slice(0, 12)})` : "-"}`,
    );
    lines.push(`                offer ${s.offer ? `${s.offer.type} ${pct(s.offer.depth)}` : "none"}, dedupe key ${s.dedupeKey}`);
    const c = s.consentBasis;
    lines.push(
      `                consent ${c.channel}/${c.purpose} ${c.status}, recorded ${c.recordedAt}${c.source ? `, source ${c.source}` : ""}`,
    );
  }
  for (const s of r.suppressions) lines.push(`suppression   ${s.channel}: ${s.reasonCode} (${s.reason}) ${at(s)}`);
  if (r.unreadable.length) lines.push(`unreadable    entries ${r.unreadable.join(", ")} do not match their kind's schema`);
  return lines.join("\n");
}
