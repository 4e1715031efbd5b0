import type { types } from "@slack/bolt";
import type { PendingPlan } from "../../agents/chat/contract.js";
import type { CycleState } from "../../workflows/cycle/state.js";
import type { PlanOutcome } from "./plan-outcome.js";
import { APPROVE_ACTION, REJECT_ACTION, REJECT_MODAL, REJECT_REASON, type PlanRef, type RejectModalMetadata } from "./payloads.js";

/** Block Kit for plan messages, lift readouts and the reject modal. Pure: data in, blocks out. */

type Block = types.KnownBlock;

/** Slack allows 50 blocks a message; a plan shows this many segments, then says how many more. */
export const MAX_SEGMENT_BLOCKS = 20;

const num = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const pct = (share: number) => `${Math.round(share * 1000) / 10}% off`;
/** Slack escapes: &, < and > are control characters in mrkdwn. */
export const escapeMrkdwn = (s: string) => s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
/** A Pulse actor id as Slack shows it: `slack:U123` becomes a mention, anything else stays text. */
export function who(actorId: string): string {
  const m = /^slack:([A-Z0-9]+)$/.exec(actorId);
  return m ? `<@${m[1]}>` : escapeMrkdwn(actorId);
}

const HEADLINES: Record<PlanOutcome["kind"], string> = {
  waiting: "Plan waiting for approval",
  approved: "Plan approved: sending",
  sent: "Plan approved and sent",
  rejected: "Plan rejected",
  expired: "Plan expired: nothing sent",
  measured: "Plan sent and measured",
};

function outcomeLine(outcome: PlanOutcome): string {
  switch (outcome.kind) {
    case "waiting":
      return "";
    case "approved":
      return `:white_check_mark: Approved by ${who(outcome.by)} at ${outcome.at}; messages go out at each customer's local send time.`;
    case "sent":
      return `:white_check_mark: Approved by ${who(outcome.by)}. Sent ${num(outcome.sent)}${outcome.suppressed ? `, suppressed at send time ${num(outcome.suppressed)}` : ""}${outcome.failed ? `, undeliverable ${num(outcome.failed)}` : ""}.`;
    case "rejected":
      return `:x: Rejected by ${who(outcome.by)}: ${escapeMrkdwn(outcome.reason)}`;
    case "expired":
      return `:hourglass: ${escapeMrkdwn(outcome.reason)}.`;
    case "measured":
      return `:bar_chart: Approved by ${who(outcome.by)}, sent and measured: ${escapeMrkdwn(outcome.headline)} (readout in the thread).`;
  }
}

/** Totals of a plan's segments. */
export function planTotals(plan: PendingPlan): { contacts: number; budget: number; expectedIncrementalMargin: number } {
  return plan.segments.reduce(
    (t, s) => ({
      contacts: t.contacts + s.contacts,
      budget: t.budget + s.budget,
      expectedIncrementalMargin: t.expectedIncrementalMargin + s.expectedIncrementalMargin,
    }),
    { contacts: 0, budget: 0, expectedIncrementalMargin: 0 },
  );
}

/** The notification text of a plan message (what shows where blocks cannot). */
export function planText(plan: PendingPlan, outcome: PlanOutcome): string {
  const t = planTotals(plan);
  return `${HEADLINES[outcome.kind]}: cycle ${plan.cycleId}, ${plan.segments.length} segments, ${num(t.contacts)} contacts, budget ${num(t.budget, 2)}, expected incremental margin ${num(t.expectedIncrementalMargin, 2)}`;
}

/**
 * A plan message: segments with strategy, channel, offer, contacts, budget and expected
 * incremental margin; the guardrail flags; Approve and Reject while it waits, the outcome after.
 */
export function planBlocks(plan: PendingPlan, outcome: PlanOutcome): Block[] {
  const totals = planTotals(plan);
  const blocks: Block[] = [
    { type: "header", text: { type: "plain_text", text: `${HEADLINES[outcome.kind]}: ${plan.cycleId}`.slice(0, 150) } },
    {
      type: "section",
      text: {
        type: "mrkdwn",
        text: `Requested by ${who(plan.requestedBy)}; approval ${escapeMrkdwn(plan.approvalId)} ${outcome.kind === "waiting" ? "expires" : "was open until"} ${plan.expiresAt}.\n*${plan.segments.length} segments, ${num(totals.contacts)} contacts, budget ${num(totals.budget, 2)}, expected incremental margin ${num(totals.expectedIncrementalMargin, 2)}*`,
      },
    },
    { type: "divider" },
  ];
  for (const s of plan.segments.slice(0, MAX_SEGMENT_BLOCKS)) {
    blocks.push({
      type: "section",
      text: { type: "mrkdwn", text: `*${escapeMrkdwn(s.name)}* (${escapeMrkdwn(s.segmentId)})` },
      fields: [
        { type: "mrkdwn", text: `*Strategy*\n${escapeMrkdwn(s.strategy)}` },
        { type: "mrkdwn", text: `*Channel*\n${escapeMrkdwn(s.channel)}` },
        { type: "mrkdwn", text: `*Offer*\n${s.offer > 0 ? pct(s.offer) : "no discount"}` },
        { type: "mrkdwn", text: `*Contacts*\n${num(s.contacts)}` },
        { type: "mrkdwn", text: `*Budget*\n${num(s.budget, 2)}` },
        { type: "mrkdwn", text: `*Expected incremental margin*\n${num(s.expectedIncrementalMargin, 2)}` },
      ],
    });
  }
  if (plan.segments.length > MAX_SEGMENT_BLOCKS)
    blocks.push({
      type: "context",
      elements: [
        { type: "mrkdwn", text: `and ${plan.segments.length - MAX_SEGMENT_BLOCKS} more segments (pulse cycle status ${plan.cycleId})` },
      ],
    });
  if (plan.segments.length === 0) blocks.push({ type: "section", text: { type: "mrkdwn", text: "No segment would be contacted." } });
  blocks.push({ type: "divider" });
  blocks.push({
    type: "section",
    text: {
      type: "mrkdwn",
      text: plan.flags.length
        ? `*Guardrail flags*\n${plan.flags.map((f) => `• ${escapeMrkdwn(f)}`).join("\n")}`.slice(0, 3000)
        : "*Guardrail flags*\nnone",
    },
  });
  if (outcome.kind === "waiting") {
    const value = JSON.stringify({ cycleId: plan.cycleId, approvalId: plan.approvalId } satisfies PlanRef);
    blocks.push({
      type: "actions",
      block_id: "pulse_decision",
      elements: [
        { type: "button", action_id: APPROVE_ACTION, style: "primary", text: { type: "plain_text", text: "Approve" }, value },
        { type: "button", action_id: REJECT_ACTION, style: "danger", text: { type: "plain_text", text: "Reject" }, value },
      ],
    });
  } else {
    blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: outcomeLine(outcome) }] });
  }
  return blocks;
}

/** The modal asking why a plan is rejected; the metadata says which plan and which message. */
export function rejectModal(metadata: RejectModalMetadata): types.ModalView {
  return {
    type: "modal",
    callback_id: REJECT_MODAL,
    private_metadata: JSON.stringify(metadata),
    title: { type: "plain_text", text: "Reject plan" },
    submit: { type: "plain_text", text: "Reject" },
    close: { type: "plain_text", text: "Cancel" },
    blocks: [
      {
        type: "section",
        text: { type: "mrkdwn", text: `Rejecting the plan of cycle *${escapeMrkdwn(metadata.cycleId)}*: nothing will be sent. Say why.` },
      },
      {
        type: "input",
        block_id: REJECT_REASON,
        label: { type: "plain_text", text: "Reason" },
        element: { type: "plain_text_input", action_id: REJECT_REASON, multiline: true, min_length: 3, max_length: 2000 },
      },
    ],
  };
}

/** A lift readout, as measured: the headline and its lines per segment and strategy. */
export function liftBlocks(cycleId: string, measurement: NonNullable<CycleState["measurement"]>): Block[] {
  const blocks: Block[] = [
    { type: "header", text: { type: "plain_text", text: `Lift readout: ${cycleId}`.slice(0, 150) } },
    { type: "section", text: { type: "mrkdwn", text: `*${escapeMrkdwn(measurement.headline)}*` } },
  ];
  if (measurement.lines.length)
    blocks.push({
      type: "section",
      text: {
        type: "mrkdwn",
        text: measurement.lines
          .map((l) => `• ${escapeMrkdwn(l)}`)
          .join("\n")
          .slice(0, 3000),
      },
    });
  blocks.push({
    type: "context",
    elements: [
      {
        type: "mrkdwn",
        text: `Treated vs randomized holdout, measured at ${measurement.measuredAt}.${measurement.srmFlagged ? " :warning: Sample-ratio mismatch: treat the readout with caution." : ""}`,
      },
    ],
  });
  return blocks;
}

export function liftText(cycleId: string, measurement: NonNullable<CycleState["measurement"]>): string {
  return `Lift readout for ${cycleId}: ${measurement.headline}`;
}
