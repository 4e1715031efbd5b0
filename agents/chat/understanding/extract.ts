import type { Intent } from "../contract.js";
import { campaignWindow, pastPeriod, singleDay, untilDay } from "./dates.js";
import {
  ARCHETYPE_WORDS,
  CATEGORY_WORDS,
  CHANNEL_WORDS,
  FILTER_WORDS,
  STRATEGY_WORDS,
  type AudienceFilter,
  type Category,
  type Channel,
  type StrategyName,
} from "./lexicon.js";

/**
 * Typed extraction of an intent's parameters (names from issue #10). Pure: the text, the intent and
 * the reference instant in; a plain object out, holding only what the request says.
 */

export const CYCLE_ID = /\bc-\d{8}-[0-9a-z]{6}\b/i;
const SEGMENT_ID = /\bseg(?:ment)?[-_ #]?(\d{1,4})\b/gi;
const CUSTOMER_ID = /\b(c\d{6,})\b/i;
const CUSTOMER_NUMBER = /\bcustomer\s+(?:no\.?\s*|number\s+|#\s*)?(\d{1,6})\b/i;

export function cycleId(text: string): string | undefined {
  return CYCLE_ID.exec(text)?.[0].toLowerCase();
}

export function segmentIds(text: string): string[] {
  const ids = [...text.matchAll(SEGMENT_ID)].map((m) => `seg-${Number(m[1])}`);
  return [...new Set(ids)];
}

export function customerId(text: string): string | undefined {
  const direct = CUSTOMER_ID.exec(text)?.[1];
  if (direct) return direct.toUpperCase();
  const n = CUSTOMER_NUMBER.exec(text)?.[1];
  return n ? `C${n.padStart(6, "0")}` : undefined;
}

export function channels(text: string): Channel[] {
  // "in-app" must not also read as "app"; "push notification" not as two channels.
  const found: Array<[Channel, number]> = [];
  for (const [channel, re] of Object.entries(CHANNEL_WORDS) as Array<[Channel, RegExp]>) {
    const m = re.exec(text);
    if (m) found.push([channel, m.index]);
  }
  if (found.length === 0 && /\b(all|every) channels?\b/.test(text)) return ["email", "sms", "push", "in_app"];
  return found.sort((a, b) => a[1] - b[1]).map(([c]) => c);
}

export function category(text: string): Category | undefined {
  let best: [Category, number] | undefined;
  for (const [cat, re] of Object.entries(CATEGORY_WORDS) as Array<[Category, RegExp]>) {
    const m = re.exec(text.replace(/\bin[-_ ]?app\b/g, " "));
    if (m && (!best || m.index < best[1])) best = [cat, m.index];
  }
  return best?.[0];
}

export function strategy(text: string): StrategyName | undefined {
  // Audience words that contain strategy words ("promo-sensitive") are not strategies.
  const t = text.replace(/\bpromo[- ]sensitive\b|\bcoupon[- ]driven\b|\bdeal[- ]seekers?\b/g, "them").replace(/\s+/g, " ");
  for (const [name, re] of STRATEGY_WORDS) if (re.test(t)) return name;
  return undefined;
}

/** A discount cap as a share (0..1): "15% off", "at most 15 percent", "no discount" → 0. */
export function maxDiscount(text: string): number | undefined {
  if (/\b(no|without|zero|0%?)\s+(discounts?|offers?|promo|coupons?|markdowns?)\b|\bfull[- ]price\b|\bno money off\b/.test(text)) return 0;
  const m = /(\d{1,2}(?:\.\d+)?)\s*(?:%|percent\b|per cent\b|pct\b)/.exec(text);
  if (m) return Math.round(Number(m[1]) * 100) / 10_000;
  const frac = /\b(0?\.\d+)\s+(?:off|discount|max)\b/.exec(text);
  if (frac) return Number(frac[1]);
  return undefined;
}

/** A budget in currency units: "$5k", "budget of 2,500", "5000 dollars", "€3.5k". */
export function budget(text: string): number | undefined {
  const amount = String.raw`(\d+(?:[.,]\d{3})*(?:\.\d+)?)\s*(k|m|thousand|million)?\b`;
  const patterns = [
    new RegExp(String.raw`[$€£]\s*${amount}`),
    new RegExp(
      String.raw`\bbudget\s*(?:of|is|at|=|:|under|below|up to|capped at|max|maximum|no more than)?\s*(?:[$€£]\s*)?${amount}(?!\s*%)`,
    ),
    new RegExp(String.raw`${amount}\s*(?:dollars|usd|eur|euros|gbp|pounds|bucks)\b`),
    new RegExp(String.raw`${amount}\s*budget\b`),
  ];
  for (const re of patterns) {
    const m = re.exec(text);
    if (!m) continue;
    const n = Number(m[1]!.replace(/,/g, ""));
    const mult = m[2] === "k" || m[2] === "thousand" ? 1000 : m[2] === "m" || m[2] === "million" ? 1_000_000 : 1;
    return n * mult;
  }
  return undefined;
}

export interface Audience {
  segments?: string[];
  archetypes?: string[];
  filters?: AudienceFilter[];
}

export function audience(text: string): Audience | undefined {
  const segments = segmentIds(text);
  const archetypes = ARCHETYPE_WORDS.filter(([, re]) => re.test(text)).map(([name]) => name);
  // A filter word inside an archetype name ("Dormant Loyalists") is the archetype, not a filter.
  let rest = text;
  for (const [, re] of ARCHETYPE_WORDS) rest = rest.replace(new RegExp(re.source, "g"), " ");
  const filters = (Object.entries(FILTER_WORDS) as Array<[AudienceFilter, RegExp]>).filter(([, re]) => re.test(rest)).map(([f]) => f);
  if (segments.length + archetypes.length + filters.length === 0) return undefined;
  return {
    ...(segments.length ? { segments } : {}),
    ...(archetypes.length ? { archetypes } : {}),
    ...(filters.length ? { filters } : {}),
  };
}

/** A rejection's own words: the verb and what it names (the plan, a cycle id), with polite fillers. */
const DECISION_HEAD =
  /^(?:(?:no|nope|nah|sorry|ok|okay|alright|actually|please|i|we|hm+|well)[,\s]+)*(?:reject(?:ed|ing)?|decline[ds]?|deny|denied|refuse[ds]?|veto(?:ed)?|turn(?:ing)? (?:\w+ ){0,2}down|say no to|not approved?|no go)\b(?:\s+(?:it|this|that|the plan|this plan|that plan|the campaign|cycle|c-\d{8}-[0-9a-z]{6}|please))*\s*$/i;

/**
 * Free-text reason after "because", "reason:", "due to"; for a rejection also what follows its
 * decision words after a comma, colon, semicolon or dash ("reject c-..., too deep a discount").
 */
export function reason(original: string, intent?: "approve" | "reject"): string | undefined {
  const m = /\b(?:because(?: of)?|reason(?: is)?:?|due to|as it|since it|since the)\s+(.+)$/i.exec(original.trim());
  if (!m) return intent === "reject" ? reasonAfterDecision(original) : undefined;
  const prefix = /^(since|as) (it|the)\b/i.test(m[0]) ? m[0].split(/\s+/).slice(1, 2).join(" ") + " " : "";
  const r = (prefix + m[1]!).trim().replace(/[.!?]+$/, "");
  return r.length > 0 ? r : undefined;
}

function reasonAfterDecision(original: string): string | undefined {
  // The first comma, colon, semicolon or dash after which the words before are only the decision
  // ("nah, reject it, the discount is too steep": not after "nah").
  const text = original.trim();
  for (const sep of text.matchAll(/\s*(?:[,:;]|\s[-–—]+)\s*/g)) {
    const head = text.slice(0, sep.index).trim();
    if (!DECISION_HEAD.test(head)) continue;
    const r = text
      .slice(sep.index + sep[0].length)
      .trim()
      .replace(/[.!?]+$/, "");
    // "no, reject" / "reject, please": nothing but decision words or fillers is no reason.
    if (r.split(/\s+/).length < 2 || DECISION_HEAD.test(r)) return undefined;
    return r;
  }
  return undefined;
}

export function auditFormat(text: string): "csv" | "jsonl" | undefined {
  if (/\bcsv\b|\bspreadsheet\b|\bexcel\b/.test(text)) return "csv";
  if (/\bjsonl\b|\bjson(?:[- ]?lines?)?\b|\bndjson\b/.test(text)) return "jsonl";
  return undefined;
}

function defined(o: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}

/**
 * The parameters of `intent` in a request. `original` keeps the writer's casing (ids, reasons);
 * `text` is its normalized form (lower case, typos corrected).
 */
export function extractParams(intent: Intent, original: string, text: string, ref: Date): Record<string, unknown> {
  // Ids, amounts and percentages hold digits that date parsing must not read as days.
  const dates = text
    .replace(CYCLE_ID, " ")
    .replace(SEGMENT_ID, " ")
    .replace(/\bc\d{6,}\b/g, " ")
    .replace(/[$€£]\s*\d[\d,.]*\s*k?\b|\d+(?:\.\d+)?\s*(?:%|percent\b|per cent\b|k\b)/g, " ");
  switch (intent) {
    case "start_cycle":
      return defined({ as_of: /\b(as of|as at|for|dated|on)\b/.test(text) ? singleDay(dates, ref) : undefined });
    case "plan_campaign": {
      const ch = channels(text);
      return defined({
        strategy: strategy(text),
        max_discount: maxDiscount(text),
        category: category(text),
        channels: ch.length ? ch : undefined,
        audience: audience(text),
        window: campaignWindow(dates, ref),
        budget: budget(text),
      });
    }
    case "show_plan":
      return defined({ cycle: cycleId(original) });
    case "approve":
    case "reject":
      return defined({ cycle: cycleId(original), reason: reason(original, intent) });
    case "explain_segment":
      return defined({ segment: segmentIds(text)[0] });
    case "explain_customer":
      return defined({ customer: customerId(original), channel: channels(text)[0] });
    case "cycle_results":
      return defined({
        cycle: cycleId(original),
        period: /\b(last|latest|previous|most recent) cycle\b/.test(text) ? undefined : pastPeriod(dates, ref),
      });
    case "pause":
    case "resume": {
      const ch = channels(text);
      return defined({
        channels: ch.length ? ch : undefined,
        segment: segmentIds(text)[0],
        until: intent === "pause" ? untilDay(dates, ref) : undefined,
      });
    }
    case "audit_export":
    case "audit_verify": {
      const p = pastPeriod(dates, ref);
      return defined({ from: p?.start, to: p?.end, format: intent === "audit_export" ? auditFormat(text) : undefined });
    }
    case "segments_overview":
    case "help":
    case "unknown":
      return {};
  }
}
