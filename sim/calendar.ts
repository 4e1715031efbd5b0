/** Time helpers for the simulator. All instants are UTC epoch milliseconds, whole seconds. */

export const SECOND_MS = 1000;
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
export const WEEK_MS = 7 * DAY_MS;

/** Days since 1970-01-01 (UTC) of an instant. */
export function dayNumber(ms: number): number {
  return Math.floor(ms / DAY_MS);
}

/** The same instant `months` calendar months later (UTC), clamped to the end of shorter months. */
export function addMonthsUtc(ms: number, months: number): number {
  const d = new Date(ms);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + months;
  const target = new Date(Date.UTC(y, m, 1, d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds()));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(d.getUTCDate(), lastDay));
  return target.getTime();
}

/** Upper bound of seasonality(), used to bound the purchase hazard when sampling by thinning. */
export const SEASONALITY_MAX = (1.15 * 1.08 * 1.3) / 1.03;

function seasonalityFormula(day: number): number {
  const weekday = (((day + 4) % 7) + 7) % 7; // 1970-01-01 was a Thursday (4); 0 = Sunday
  const weekFactor = weekday === 0 || weekday === 6 ? 1.15 : 0.94;
  const yearFrac = (((day % 365.2425) + 365.2425) % 365.2425) / 365.2425;
  const wave = 1 + 0.08 * Math.cos(2 * Math.PI * (yearFrac - 0.95));
  const holiday = yearFrac > 0.885 && yearFrac < 0.978 ? 1.3 : 1;
  return (weekFactor * wave * holiday) / 1.03;
}

// Days 0..73000 (1970 to 2169) are tabulated on first use; the formula covers the rest.
const SEASON_TABLE_DAYS = 73_000;
const seasonTable = new Float64Array(SEASON_TABLE_DAYS);

/**
 * Demand seasonality of a UTC day: a mild annual wave, a holiday peak from about 20 November to
 * 24 December, and busier weekends. Averages about 1 over a year.
 */
export function seasonality(day: number): number {
  if (day < 0 || day >= SEASON_TABLE_DAYS) return seasonalityFormula(day);
  const v = seasonTable[day];
  if (v !== 0) return v;
  return (seasonTable[day] = seasonalityFormula(day));
}

export const TIMEZONES = ["America/New_York", "America/Chicago", "America/Los_Angeles", "Europe/London", "Europe/Berlin"] as const;
export type SimTimezone = (typeof TIMEZONES)[number];

export const REGIONS: Record<SimTimezone, string> = {
  "America/New_York": "us-east",
  "America/Chicago": "us-central",
  "America/Los_Angeles": "us-west",
  "Europe/London": "uk",
  "Europe/Berlin": "de",
};

const offsetFormatters = new Map<string, Intl.DateTimeFormat>();
const OFFSET_TABLE_DAYS = 73_000;
const OFFSET_UNKNOWN = -100_000;
const offsetTable = new Int32Array(TIMEZONES.length * OFFSET_TABLE_DAYS).fill(OFFSET_UNKNOWN);

function computeOffsetMinutes(tz: string, day: number): number {
  let fmt = offsetFormatters.get(tz);
  if (!fmt) {
    fmt = new Intl.DateTimeFormat("en-US", { timeZone: tz, timeZoneName: "longOffset" });
    offsetFormatters.set(tz, fmt);
  }
  const part = fmt.formatToParts(new Date(day * DAY_MS + 12 * HOUR_MS)).find((p) => p.type === "timeZoneName");
  const m = /GMT([+-])(\d{2}):?(\d{2})?/.exec(part?.value ?? "");
  return m ? (m[1] === "-" ? -1 : 1) * (Number(m[2]) * 60 + Number(m[3] ?? 0)) : 0;
}

/** UTC offset in minutes of a time zone at noon UTC of the given day (tabulated per zone and day). */
export function utcOffsetMinutes(tzIndex: number, day: number): number {
  if (day < 0 || day >= OFFSET_TABLE_DAYS) return computeOffsetMinutes(TIMEZONES[tzIndex], day);
  const key = tzIndex * OFFSET_TABLE_DAYS + day;
  const hit = offsetTable[key];
  if (hit !== OFFSET_UNKNOWN) return hit;
  return (offsetTable[key] = computeOffsetMinutes(TIMEZONES[tzIndex], day));
}

/** Parses YYYY-MM-DD as midnight UTC; returns NaN when malformed. */
export function parseDateOnly(s: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return Number.NaN;
  const ms = Date.parse(`${s}T00:00:00Z`);
  return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== s ? Number.NaN : ms;
}
