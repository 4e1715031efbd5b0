import * as chrono from "chrono-node";

/**
 * Dates in requests, as calendar days (YYYY-MM-DD, UTC). Named periods ("last quarter", "this week",
 * "past 30 days") are resolved here because chrono-node reads them as single instants; chrono-node
 * reads everything else ("until Monday", "from Jan 5 to Jan 12", "2025-03-31", "tomorrow").
 */

export interface DayRange {
  start?: string;
  end?: string;
}

const DAY_MS = 86_400_000;

export function isoDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

function utcDay(y: number, m: number, d: number): Date {
  return new Date(Date.UTC(y, m, d));
}

function startOfDay(d: Date): Date {
  return utcDay(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

function addDays(d: Date, n: number): Date {
  return new Date(d.getTime() + n * DAY_MS);
}

/** Monday of the ISO week holding `d`. */
function weekStart(d: Date): Date {
  const day = (d.getUTCDay() + 6) % 7;
  return addDays(startOfDay(d), -day);
}

type Unit = "day" | "week" | "month" | "quarter" | "year";

function unitOf(word: string): Unit {
  const w = word.replace(/s$/, "");
  if (w === "day" || w === "week" || w === "month" || w === "quarter" || w === "year") return w;
  throw new Error(`not a period unit: ${word}`);
}

/** The whole calendar period `offset` periods away from the one holding `ref` (0 = this one). */
export function calendarPeriod(unit: Exclude<Unit, "day">, offset: number, ref: Date): { start: Date; end: Date } {
  const y = ref.getUTCFullYear();
  const m = ref.getUTCMonth();
  switch (unit) {
    case "week": {
      const start = addDays(weekStart(ref), 7 * offset);
      return { start, end: addDays(start, 6) };
    }
    case "month":
      return { start: utcDay(y, m + offset, 1), end: utcDay(y, m + offset + 1, 0) };
    case "quarter": {
      const q = Math.floor(m / 3) + offset;
      return { start: utcDay(y, q * 3, 1), end: utcDay(y, q * 3 + 3, 0) };
    }
    case "year":
      return { start: utcDay(y + offset, 0, 1), end: utcDay(y + offset, 11, 31) };
  }
}

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  ten: 10,
  fourteen: 14,
  thirty: 30,
};
const COUNT = String.raw`(\d+|a|an|one|two|three|four|five|six|seven|ten|fourteen|thirty)`;

function count(word: string): number {
  return NUMBER_WORDS[word] ?? Number(word);
}

function span(unit: Unit, n: number): number {
  return unit === "day" ? n : unit === "week" ? 7 * n : unit === "month" ? 30 * n : unit === "quarter" ? 91 * n : 365 * n;
}

export interface NamedPeriod {
  kind: "past" | "current" | "future";
  start: Date;
  end: Date;
  text: string;
}

/**
 * A named period in `text`: "last/this/next week|month|quarter|year", "past/next N days|weeks",
 * "yesterday", "today", "this weekend". `current` periods end with the calendar period.
 */
export function namedPeriod(text: string, ref: Date): NamedPeriod | undefined {
  const today = startOfDay(ref);
  let m = new RegExp(String.raw`\b(?:the )?(?:last|past|previous|prior) ${COUNT} (days?|weeks?|months?)\b`).exec(text);
  if (m) return { kind: "past", start: addDays(today, -span(unitOf(m[2]!), count(m[1]!))), end: today, text: m[0] };
  m = new RegExp(String.raw`\b(?:the )?(?:next|coming|following) ${COUNT} (days?|weeks?|months?)\b`).exec(text);
  if (m) return { kind: "future", start: today, end: addDays(today, span(unitOf(m[2]!), count(m[1]!))), text: m[0] };
  m = new RegExp(String.raw`\bfor (?:the next )?${COUNT} (days?|weeks?|months?)\b`).exec(text);
  if (m) return { kind: "future", start: today, end: addDays(today, span(unitOf(m[2]!), count(m[1]!))), text: m[0] };
  m = /\b(this|the) weekend\b/.exec(text);
  if (m) {
    const start = addDays(weekStart(ref), 5);
    return { kind: "future", start: start < today ? today : start, end: addDays(start, 1), text: m[0] };
  }
  m = /\b(last|past|previous|prior|this|current|next|coming)(?: calendar)? (week|month|quarter|year)'?s?\b/.exec(text);
  if (m) {
    const which = m[1]!;
    const unit = unitOf(m[2]!) as Exclude<Unit, "day">;
    const offset = ["last", "past", "previous", "prior"].includes(which) ? -1 : ["next", "coming"].includes(which) ? 1 : 0;
    const p = calendarPeriod(unit, offset, ref);
    return { kind: offset < 0 ? "past" : offset > 0 ? "future" : "current", ...p, text: m[0] };
  }
  m = /\b(week|month|quarter|year) to date\b/.exec(text);
  if (m) return { kind: "past", start: calendarPeriod(unitOf(m[1]!) as Exclude<Unit, "day">, 0, ref).start, end: today, text: m[0] };
  if (/\byesterday'?s?\b/.test(text)) return { kind: "past", start: addDays(today, -1), end: addDays(today, -1), text: "yesterday" };
  if (/\btoday'?s?\b/.test(text)) return { kind: "current", start: today, end: today, text: "today" };
  return undefined;
}

export interface ChronoDate {
  text: string;
  index: number;
  start: Date;
  end?: Date;
}

/** Calendar dates chrono-node finds; `forward` prefers the future for bare weekdays and months. */
export function chronoDates(text: string, ref: Date, forward: boolean): ChronoDate[] {
  // "now" is when the request is made, not a date it names ("pause email for now", "refresh now").
  const found = chrono
    .parse(text, { instant: ref, timezone: "UTC" }, { forwardDate: forward })
    .filter((r) => !/^(right )?now$/i.test(r.text.trim()));
  return found.map((r) => ({
    text: r.text,
    index: r.index,
    start: startOfDay(r.start.date()),
    ...(r.end ? { end: startOfDay(r.end.date()) } : {}),
  }));
}

function range(start?: Date, end?: Date): DayRange {
  return { ...(start ? { start: isoDay(start) } : {}), ...(end ? { end: isoDay(end) } : {}) };
}

/** A campaign's window: from today unless the request says when it starts. */
export function campaignWindow(text: string, ref: Date): DayRange | undefined {
  const today = startOfDay(ref);
  const named = namedPeriod(text, ref);
  // "ending tomorrow", "until the end of next week": from now to the period's end.
  if (
    named &&
    /\b(until|till|til|through|thru|ending|ends?)\s+(?:on\s+)?(?:the\s+)?(?:end of\s+)?(?:this|next|coming|tomorrow|today)\b/.test(text)
  )
    return range(today, named.end);
  if (named) return range(named.start < today ? today : named.start, named.end);
  const dates = chronoDates(text, ref, true);
  const first = dates[0];
  if (!first) return undefined;
  if (first.end) return range(first.start, first.end);
  if (dates[1]) return range(first.start, dates[1].start);
  const before = text.slice(0, first.index);
  if (/\b(until|till|til|through|thru|to|by|ending|ends?)\s*(?:the\s+)?(?:end of\s+)?$/.test(before)) return range(today, first.start);
  if (/\b(from|starting|start|beginning|begin|after)\s*(?:on\s+)?$/.test(before)) return range(first.start);
  return range(first.start, first.start);
}

/** A past period to report on ("last week", "in March", "since June"). */
export function pastPeriod(text: string, ref: Date): DayRange | undefined {
  const named = namedPeriod(text, ref);
  if (named) return range(named.start, named.end);
  const dates = chronoDates(text, ref, false);
  const first = dates[0];
  if (!first) return undefined;
  if (first.end) return range(first.start, first.end);
  if (dates[1]) return range(first.start, dates[1].start);
  const before = text.slice(0, first.index);
  if (/\b(until|till|til|through|thru|to|before|up to)\s*$/.test(before)) return range(undefined, first.start);
  if (/\b(since|from|after|starting)\s*$/.test(before)) return range(first.start);
  const monthOnly =
    /^(?:in\s+)?[a-z]+(?:\s+\d{4})?$/.test(first.text.trim()) && !/\d{1,2}(st|nd|rd|th)?\b/.test(first.text.replace(/\d{4}/, ""));
  if (monthOnly && first.start.getUTCDate() === 1) {
    return range(first.start, utcDay(first.start.getUTCFullYear(), first.start.getUTCMonth() + 1, 0));
  }
  return range(first.start, first.start);
}

/** The day a pause lasts until (exclusive): "until Monday", "for 3 days", "till the end of the month". */
export function untilDay(text: string, ref: Date): string | undefined {
  const named = namedPeriod(text, ref);
  if (named && named.kind !== "past") {
    // "for a week" ends a week from now; "until next week" starts again on its Monday.
    if (/\b(until|till|til|through)\s+(?:the\s+)?(?:end of\s+)?(this|next|coming)/.test(text) && !/end of/.test(text)) {
      return isoDay(named.start);
    }
    return isoDay(named.end);
  }
  const first = chronoDates(text, ref, true)[0];
  return first ? isoDay(first.start) : undefined;
}

/** A single day ("as of 2025-03-01", "as of yesterday"). */
export function singleDay(text: string, ref: Date): string | undefined {
  const named = namedPeriod(text, ref);
  if (named && (named.text === "yesterday" || named.text === "today")) return isoDay(named.start);
  const first = chronoDates(text, ref, false)[0];
  return first ? isoDay(first.start) : undefined;
}
