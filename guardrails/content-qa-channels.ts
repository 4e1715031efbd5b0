import { z } from "zod";
import type { Channel } from "../ingest/formats.js";

/**
 * The fields of a message on each channel and their limits (DOMAIN.md, Channels). Limits apply to
 * the rendered text; content QA checks templates against them with worst-case placeholder lengths.
 * Limits DOMAIN.md does not fix (preheader, body, CTA, in-app) are Pulse's own choices.
 */
export const CHANNEL_LIMITS = {
  email: { subject: 60, preheader: 100, body: 2000, cta: 25 },
  sms: { text: 160 },
  push: { title: 40, body: 120 },
  in_app: { title: 40, body: 200, cta: 25 },
} as const satisfies Record<Channel, Record<string, number>>;

/** Sent after every SMS that does not already say it; counts toward the 160 GSM-7 characters. */
export const SMS_STOP_TEXT = "Reply STOP to opt out";
export const SMS_STOP_PATTERN = /\breply\s+stop\b/i;

const field = (max: number, what: string) => z.string().trim().min(1, `${what} is empty`).max(max, `${what} longer than ${max}`);

export const emailFieldsSchema = z.object({
  subject: field(CHANNEL_LIMITS.email.subject, "subject"),
  preheader: field(CHANNEL_LIMITS.email.preheader, "preheader"),
  body: field(CHANNEL_LIMITS.email.body, "body"),
  cta: field(CHANNEL_LIMITS.email.cta, "cta"),
});
export const smsFieldsSchema = z.object({ text: field(CHANNEL_LIMITS.sms.text, "text") });
export const pushFieldsSchema = z.object({
  title: field(CHANNEL_LIMITS.push.title, "title"),
  body: field(CHANNEL_LIMITS.push.body, "body"),
});
export const inAppFieldsSchema = z.object({
  title: field(CHANNEL_LIMITS.in_app.title, "title"),
  body: field(CHANNEL_LIMITS.in_app.body, "body"),
  cta: field(CHANNEL_LIMITS.in_app.cta, "cta"),
});

/** Raw-text shape of each channel's message (a necessary bound; QA applies the real, rendered one). */
export const CHANNEL_FIELD_SCHEMAS = {
  email: emailFieldsSchema,
  sms: smsFieldsSchema,
  push: pushFieldsSchema,
  in_app: inAppFieldsSchema,
} as const;

export type EmailFields = z.infer<typeof emailFieldsSchema>;
export type SmsFields = z.infer<typeof smsFieldsSchema>;
export type PushFields = z.infer<typeof pushFieldsSchema>;
export type InAppFields = z.infer<typeof inAppFieldsSchema>;
export interface ChannelFieldsMap {
  email: EmailFields;
  sms: SmsFields;
  push: PushFields;
  in_app: InAppFields;
}
export type ChannelFields<C extends Channel = Channel> = ChannelFieldsMap[C];

export function fieldNames(channel: Channel): string[] {
  return Object.keys(CHANNEL_LIMITS[channel]);
}
