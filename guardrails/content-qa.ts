import type { Channel } from "../ingest/formats.js";
import { CHANNEL_LIMITS, SMS_STOP_PATTERN, SMS_STOP_TEXT, fieldNames } from "./content-qa-channels.js";
import { gsm7Length } from "./content-qa-gsm7.js";
import {
  ALLOWED_PLACEHOLDERS,
  PLACEHOLDER_WORST_CASE,
  PSEUDO_PLACEHOLDER,
  type Placeholder,
  findPlaceholders,
  isPlaceholder,
  substitutePlaceholders,
} from "./content-qa-placeholders.js";

/**
 * Content QA: a pure check of one message (its fields on one channel) against the channel limits,
 * opt-out requirements, placeholder rules, the approved offer and the brand's banned words.
 *
 * Two stages:
 * - `template`: copy as written, with {{placeholders}}. Lengths assume every placeholder at its
 *   worst-case length; only known placeholders allowed in that field may appear; an SMS is measured
 *   with the STOP text that rendering appends.
 * - `rendered`: the text a customer receives. No placeholder of any form may remain; the SMS must
 *   carry the STOP text and the email the unsubscribe link.
 *
 * SMS must be GSM-7. A character outside GSM-7 would switch the whole message to UCS-2 (70
 * characters), too short for copy plus the STOP text, so it fails (`sms_not_gsm7`) instead of
 * silently costing several segments; rendering transliterates names to keep to GSM-7.
 */

export const CONTENT_QA_CODES = [
  "missing_field",
  "too_long",
  "sms_too_long",
  "sms_not_gsm7",
  "missing_stop",
  "missing_unsubscribe",
  "unknown_placeholder",
  "placeholder_not_allowed",
  "malformed_placeholder",
  "unresolved_placeholder",
  "wrong_discount",
  "missing_discount",
  "unapproved_offer",
  "offer_over_cap",
  "banned_word",
] as const;
export type ContentQaCode = (typeof CONTENT_QA_CODES)[number];

export interface ContentQaIssue {
  code: ContentQaCode;
  /** The field at fault, when one is. */
  field?: string;
  message: string;
}

export interface ApprovedOffer {
  /** Discount depth as a fraction: 0.15 = 15% off; 0 = no discount. */
  depth: number;
  /** Highest depth the guardrails allow for this campaign. */
  maxDepth?: number;
}

export interface ContentQaInput {
  channel: Channel;
  fields: Readonly<Record<string, string>>;
  stage: "template" | "rendered";
  offer: ApprovedOffer;
  bannedWords?: readonly string[];
  /** Rendered stage: the customer's unsubscribe link, which the email body must contain. */
  unsubscribeUrl?: string;
  /** Template stage: override worst-case placeholder lengths. */
  worstCase?: Partial<Record<Placeholder, number>>;
}

export interface ContentQaVerdict {
  ok: boolean;
  stage: "template" | "rendered";
  channel: Channel;
  issues: ContentQaIssue[];
  /** Length per field as checked (worst case at template stage; GSM-7 septets for SMS, STOP text included). */
  lengths: Record<string, number>;
}

/** "15" for 0.15, "12.5" for 0.125: how a depth is written in copy. */
export function formatPercent(depth: number): string {
  return String(Math.round(depth * 1000) / 10);
}

const PERCENT = /(\d{1,3}(?:[.,]\d{1,2})?)\s*(?:%|percent\b|per\s*cent\b)/gi;
const HALF = /\bhalf[\s-]*(?:price|off)\b/gi;
const UNAPPROVED_OFFERS: readonly RegExp[] = [
  /[$£€¥]\s?\d+(?:[.,]\d+)?\s*(?:off|discount|voucher|credit|back)\b/i,
  /\bfree\s+(?:gifts?|shipping|delivery|items?|samples?)\b/i,
  /\b(?:bogo|buy\s+one,?\s+get\s+one|2\s*for\s*1|two\s+for\s+one)\b/i,
];

/** Every percentage the text states as a number (and "half price" as 50). */
export function statedPercents(text: string): number[] {
  const out: number[] = [];
  for (const m of text.matchAll(PERCENT)) out.push(Number(m[1]!.replace(",", ".")));
  for (const _ of text.matchAll(HALF)) out.push(50);
  return out;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** Banned words and phrases the text contains, matched case-insensitively on word boundaries. */
export function findBannedWords(text: string, banned: readonly string[]): string[] {
  const found: string[] = [];
  for (const word of banned) {
    const w = word.trim();
    if (!w) continue;
    const re = new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(w).replace(/\s+/g, "\\s+")}(?![\\p{L}\\p{N}])`, "iu");
    if (re.test(text)) found.push(w);
  }
  return found;
}

const filler = (n: number) => "X".repeat(n);

export function checkContent(input: ContentQaInput): ContentQaVerdict {
  const { channel, stage, offer } = input;
  const issues: ContentQaIssue[] = [];
  const lengths: Record<string, number> = {};
  const limits = CHANNEL_LIMITS[channel] as Record<string, number>;
  const worst = { ...PLACEHOLDER_WORST_CASE, ...input.worstCase };
  const add = (code: ContentQaCode, message: string, field?: string) =>
    issues.push(field === undefined ? { code, message } : { code, field, message });

  // Text with placeholders neutralised: worst-case length fillers for measuring, so that a
  // placeholder never counts as a stated discount or a banned word.
  const measured: Record<string, string> = {};
  for (const name of fieldNames(channel)) {
    const text = input.fields[name] ?? "";
    if (text.trim() === "") add("missing_field", `${name} is missing`, name);
    measured[name] = stage === "template" ? substitutePlaceholders(text, (p) => filler(isPlaceholder(p) ? worst[p] : p.length)) : text;
  }
  for (const name of Object.keys(input.fields)) {
    if (!(name in limits)) add("missing_field", `${name} is not a ${channel} field`, name);
  }

  checkPlaceholders(input, add);

  // Lengths.
  if (channel === "sms") {
    const raw = input.fields.text ?? "";
    let text = measured.text ?? "";
    const hasStop = SMS_STOP_PATTERN.test(raw);
    if (stage === "template" && !hasStop) text = `${text.trimEnd()} ${SMS_STOP_TEXT}`;
    if (stage === "rendered" && !hasStop) add("missing_stop", `SMS must say "${SMS_STOP_TEXT}"`, "text");
    const { septets, nonGsm } = gsm7Length(text);
    lengths.text = septets;
    if (nonGsm.length > 0)
      add("sms_not_gsm7", `SMS contains characters outside GSM-7: ${nonGsm.map((c) => JSON.stringify(c)).join(" ")}`, "text");
    if (septets > limits.text!)
      add(
        "sms_too_long",
        `SMS is ${septets} GSM-7 characters${stage === "template" ? " at worst case" : ""} including the STOP text; the limit is ${limits.text}`,
        "text",
      );
  } else {
    for (const name of fieldNames(channel)) {
      const len = [...(measured[name] ?? "")].length;
      lengths[name] = len;
      if (len > limits[name]!)
        add("too_long", `${name} is ${len} characters${stage === "template" ? " at worst case" : ""}; the limit is ${limits[name]}`, name);
    }
  }

  // Opt-out.
  if (channel === "email") {
    const body = input.fields.body ?? "";
    if (stage === "template") {
      if (!/\{\{\s*unsubscribe_url\s*\}\}/.test(body)) add("missing_unsubscribe", "email body must contain {{unsubscribe_url}}", "body");
    } else if (input.unsubscribeUrl !== undefined ? !body.includes(input.unsubscribeUrl) : !/https?:\/\/\S+/.test(body)) {
      add("missing_unsubscribe", "email body must contain the unsubscribe link", "body");
    }
  }

  // Offer: the copy states exactly the approved discount, and the approved discount is within the cap.
  const pct = Number(formatPercent(offer.depth));
  if (!(offer.depth >= 0 && offer.depth < 1)) add("wrong_discount", `approved offer depth ${offer.depth} is not in [0, 1)`);
  if (offer.maxDepth !== undefined && offer.depth > offer.maxDepth + 1e-9)
    add("offer_over_cap", `approved offer ${pct}% exceeds the cap of ${formatPercent(offer.maxDepth)}%`);
  let statesDiscount = false;
  for (const name of fieldNames(channel)) {
    const text = measured[name] ?? "";
    for (const stated of statedPercents(text)) {
      if (Math.abs(stated - pct) < 1e-9 && pct > 0) statesDiscount = true;
      else
        add(
          "wrong_discount",
          pct > 0 ? `${name} states ${stated}% but the approved offer is ${pct}%` : `${name} states ${stated}% but no discount is approved`,
          name,
        );
      if (offer.maxDepth !== undefined && stated > Number(formatPercent(offer.maxDepth)) + 1e-9)
        add("offer_over_cap", `${name} states ${stated}%, above the cap of ${formatPercent(offer.maxDepth)}%`, name);
    }
    for (const re of UNAPPROVED_OFFERS) {
      const m = re.exec(text);
      if (m) add("unapproved_offer", `${name} promises "${m[0]}", which is not the approved offer`, name);
    }
    const banned = findBannedWords(text, input.bannedWords ?? []);
    if (banned.length > 0) add("banned_word", `${name} uses banned word${banned.length > 1 ? "s" : ""}: ${banned.join(", ")}`, name);
  }
  if (pct > 0 && !statesDiscount) add("missing_discount", `the copy must state the approved discount as "${pct}%"`);

  return { ok: issues.length === 0, stage, channel, issues, lengths };
}

function checkPlaceholders(input: ContentQaInput, add: (code: ContentQaCode, message: string, field?: string) => void): void {
  const allowed = ALLOWED_PLACEHOLDERS[input.channel];
  for (const name of fieldNames(input.channel)) {
    const text = input.fields[name] ?? "";
    const uses = findPlaceholders(text);
    let rest = text;
    for (const u of uses) rest = rest.replace(u.raw, " ");
    const pseudo = PSEUDO_PLACEHOLDER.exec(rest);
    const strayBraces = /\{\{|\}\}/.test(rest);
    if (input.stage === "rendered") {
      if (uses.length > 0 || strayBraces || pseudo)
        add("unresolved_placeholder", `${name} still contains ${uses[0]?.raw ?? pseudo?.[0] ?? "braces"}`, name);
      continue;
    }
    for (const u of uses) {
      if (!u.simple) add("malformed_placeholder", `${name} uses ${u.raw}; only plain {{name}} placeholders are allowed`, name);
      else if (!isPlaceholder(u.name)) add("unknown_placeholder", `${name} uses unknown placeholder ${u.raw}`, name);
      else if (!(allowed[name] ?? []).includes(u.name))
        add("placeholder_not_allowed", `${name} may not use ${u.raw} on ${input.channel}`, name);
    }
    if (strayBraces || pseudo)
      add("malformed_placeholder", `${name} contains ${pseudo?.[0] ?? "unbalanced braces"}; write placeholders as {{name}}`, name);
  }
}
