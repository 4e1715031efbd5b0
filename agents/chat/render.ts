import type { CycleWait } from "../../workflows/cycle/service.js";
import type { CycleState } from "../../workflows/cycle/state.js";
import { guardrailFlags } from "./pending-plan.js";

/** Plain-language answers from the cycle's own state: every number here is read from a service's result. */

const pct = (x: number) => `${Math.round(x * 100)}%`;
const money = (x: number) => x.toLocaleString("en", { minimumFractionDigits: 2, maximumFractionDigits: 2 });

export function renderSegments(state: CycleState): string {
  const r = state.refresh;
  if (!r) return `Cycle ${state.cycleId} has no segments yet (status ${state.status}).`;
  const lines = [
    `${r.segments.length} segments of ${r.customers.toLocaleString("en")} customers (cycle ${state.cycleId}, as of ${state.asOf.slice(0, 10)}):`,
  ];
  for (const s of r.segments) {
    const planned = state.plan?.segments.find((p) => p.segmentId === s.segmentId);
    lines.push(
      `- ${s.segmentId} ${s.name}: ${s.size.toLocaleString("en")} customers (${pct(s.share)}${s.valueShare === null ? "" : `, ${pct(s.valueShare)} of value`})${planned ? `; plan: ${planned.strategy}${planned.channel ? ` by ${planned.channel}` : ""}` : ""}`,
    );
  }
  return lines.join("\n");
}

export function renderPlan(state: CycleState, waiting: CycleWait): string {
  const p = state.plan;
  if (!p) return `Cycle ${state.cycleId} has no plan yet (status ${state.status}).`;
  const brief = state.settings.brief;
  const lines = [
    `Plan of cycle ${state.cycleId} (status ${state.status}): ${p.contacts.toLocaleString("en")} contacts planned of ${p.considered.toLocaleString("en")} customers considered; discount cap ${pct(state.settings.maxDiscount)}, channels ${state.settings.channels.join(", ")}${brief?.budget !== undefined ? `, budget ${money(brief.budget)}` : ""}.`,
  ];
  for (const s of p.segments) {
    const what = s.channel ? `${s.strategy} by ${s.channel}, ${pct(s.offerDepth)} off` : `${s.strategy}, no contact`;
    lines.push(
      `- ${s.segmentId} ${s.name}: ${what}; ${s.contacts.toLocaleString("en")} contacts, budget ${money(s.budget)}, expected incremental margin ${money(s.expectedIncrementalMargin)}`,
    );
  }
  const total = p.segments.reduce((a, s) => ({ budget: a.budget + s.budget, margin: a.margin + s.expectedIncrementalMargin }), {
    budget: 0,
    margin: 0,
  });
  lines.push(`Total: budget ${money(total.budget)}, expected incremental margin ${money(total.margin)}.`);
  if (state.review) {
    const flags = guardrailFlags(state.review);
    lines.push(`Risk: ${state.review.risk.tier}${flags.length ? ` (${flags.join("; ")})` : ""}.`);
  }
  if (waiting?.kind === "approval")
    lines.push(`Waiting for approval by someone other than ${state.requestedBy} until ${waiting.expiresAt}.`);
  if (state.approval)
    lines.push(
      `${state.approval.decision === "approved" ? "Approved" : "Rejected"} by ${state.approval.by}${state.approval.reason ? `: ${state.approval.reason}` : ""}.`,
    );
  return lines.join("\n");
}

export function renderResults(
  state: CycleState,
  waiting: CycleWait,
  messages: Array<{ channel: string; status: string; n: number }>,
): string {
  const lines: string[] = [];
  const sent = messages.filter((m) => m.status === "sent").reduce((n, m) => n + m.n, 0);
  if (!state.activation)
    return `Cycle ${state.cycleId} has sent nothing (status ${state.status}${state.approval ? `, ${state.approval.decision} by ${state.approval.by}` : ""}).`;
  const a = state.activation;
  lines.push(
    `Cycle ${state.cycleId}: ${a.treated.toLocaleString("en")} treated, ${a.holdout.toLocaleString("en")} held out, ${a.globalControl.toLocaleString("en")} in the global control; ${sent.toLocaleString("en")} messages sent (${messages.map((m) => `${m.channel} ${m.status} ${m.n}`).join(", ") || "none yet"}).`,
  );
  if (state.measurement) {
    lines.push(state.measurement.headline, ...state.measurement.lines.map((l) => `  ${l}`));
  } else if (waiting?.kind === "attribution_window") {
    lines.push(`The lift is measured when the attribution window closes, at ${waiting.windowEndsAt}.`);
  }
  return lines.join("\n");
}
