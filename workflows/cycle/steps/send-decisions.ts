import type { OutboundMessage } from "../../../connectors/connector.js";
import type { NewAuditEntry } from "../../../guardrails/audit-entries.js";
import type { ConsentRecord } from "../../../store/history-repo.js";
import type { MessageRow } from "../../../store/messages-repo.js";
import type { SuppressionRule } from "../../../store/suppression-rules-repo.js";
import { WINDOW_ENDED_BEFORE_SEND } from "../brief.js";

/**
 * The pure steps of delivery: what a queued message comes to at send time (send, or suppress and
 * why), what the connector is given, and the audit entry of each outcome. delivery.ts does the I/O.
 */

export type SendDecision =
  | { message: MessageRow; action: "send"; consent: ConsentRecord }
  | {
      message: MessageRow;
      action: "suppress";
      reasonCode: "consent_revoked_before_send" | "paused_before_send" | typeof WINDOW_ENDED_BEFORE_SEND;
      reason: string;
    };

/**
 * Consent is checked again at send time (withdrawn since planning: suppressed, never delivered),
 * a pause created after planning stops the messages already queued, and so does a brief's window
 * that ended while the message waited (a late approval, a retried job): `windowEnded` is its reason.
 */
export function decideSend(
  m: MessageRow,
  consent: ConsentRecord | undefined,
  pausedBy: SuppressionRule | null,
  windowEnded: string | null = null,
): SendDecision {
  if (consent?.status !== "granted")
    return {
      message: m,
      action: "suppress",
      reasonCode: "consent_revoked_before_send",
      reason: `no granted marketing consent for ${m.channel} at send time`,
    };
  if (pausedBy)
    return {
      message: m,
      action: "suppress",
      reasonCode: "paused_before_send",
      reason:
        `paused at send time by ${pausedBy.createdBy}${pausedBy.until ? ` until ${pausedBy.until.toISOString()}` : ""}` +
        ` (rule ${pausedBy.ruleId}: ${pausedBy.reason})`,
    };
  if (windowEnded) return { message: m, action: "suppress", reasonCode: WINDOW_ENDED_BEFORE_SEND, reason: windowEnded };
  return { message: m, action: "send", consent };
}

/** The suppression entry of a message stopped at send time. */
export function suppressionEntryOf(actor: string, d: Extract<SendDecision, { action: "suppress" }>): NewAuditEntry {
  return {
    kind: "suppression",
    actor,
    cycleId: d.message.cycle_id,
    customerId: d.message.customer_id,
    entry: { channel: d.message.channel, reasonCode: d.reasonCode, reason: d.reason.slice(0, 1000) },
  };
}

/** What the connector is given for a message: its stored content in the channel's shape, with tracked links. */
export function outboundOf(m: MessageRow, sentAt: Date): OutboundMessage {
  const c = m.content as Record<string, string>;
  const base = {
    messageId: m.message_id,
    dedupeKey: m.dedupe_key,
    cycleId: m.cycle_id,
    campaignId: m.campaign_id,
    customerId: m.customer_id,
    sentAt: sentAt.toISOString(),
  };
  const cta = (label?: string) => (label ? { label, url: `https://pulse.example/c/${m.message_id}` } : undefined);
  switch (m.channel) {
    case "email":
      return {
        ...base,
        channel: "email",
        content: {
          subject: c.subject!,
          preheader: c.preheader ?? "",
          body: c.body!,
          ...(c.cta ? { cta: cta(c.cta)! } : {}),
          unsubscribeUrl: c.unsubscribeUrl!,
        },
      };
    case "sms":
      return { ...base, channel: "sms", content: { text: c.text! } };
    case "push":
      return { ...base, channel: "push", content: { title: c.title!, body: c.body! } };
    default:
      return { ...base, channel: "in_app", content: { title: c.title!, body: c.body!, cta: cta(c.cta ?? "Open")! } };
  }
}

/** The send entry of a delivered message: what was sent, with which copy and offer, on which consent. */
export function sendEntryOf(actor: string, m: MessageRow, consent: ConsentRecord): NewAuditEntry {
  const prompt = (m.content as { prompt?: { id: string; version: number; hash: string } | null }).prompt ?? null;
  return {
    kind: "send",
    actor,
    cycleId: m.cycle_id,
    customerId: m.customer_id,
    entry: {
      channel: m.channel,
      messageId: m.message_id,
      dedupeKey: m.dedupe_key,
      campaignId: m.campaign_id,
      templateId: m.template_id,
      variantId: m.variant_id,
      prompt,
      offer: { type: Number(m.offer_depth) > 0 ? "percent_off" : "none", depth: Number(m.offer_depth) },
      consentBasis: {
        channel: m.channel,
        purpose: "marketing",
        status: "granted",
        source: consent.source,
        recordedAt: consent.recordedAt.toISOString(),
      },
    },
  };
}
