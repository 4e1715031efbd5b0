/**
 * Wall-clock arithmetic in IANA time zones with Intl.DateTimeFormat only. Formatters are cached per
 * zone because constructing one is by far the most expensive step.
 */

export interface LocalTime {
  /** Customer-local calendar day, YYYY-MM-DD. */
  date: string;
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** Minutes since local midnight. */
  minuteOfDay: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  return f;
}

export function isValidTimeZone(timeZone: string): boolean {
  try {
    formatterFor(timeZone);
    return true;
  } catch {
    return false;
  }
}

// Instants repeat a lot (a campaign's planned send time, a customer's earlier sends are checked by
// every candidate of the batch) and formatting one costs microseconds, so results are memoized.
const localTimes = new Map<string, LocalTime>();
const MAX_MEMOIZED = 100_000;

/** The wall-clock time at instant `t` (epoch ms) in `timeZone`. */
export function localTime(t: number, timeZone: string): LocalTime {
  const key = `${timeZone}|${t}`;
  const known = localTimes.get(key);
  if (known) return { ...known };
  const computed = computeLocalTime(t, timeZone);
  if (localTimes.size >= MAX_MEMOIZED) localTimes.clear();
  localTimes.set(key, computed);
  return { ...computed };
}

function computeLocalTime(t: number, timeZone: string): LocalTime {
  const parts: Record<string, number> = {};
  for (const p of formatterFor(timeZone).formatToParts(new Date(t))) {
    if (p.type !== "literal") parts[p.type] = Number(p.value);
  }
  const hour = parts.hour === 24 ? 0 : parts.hour;
  const { year, month, day, minute, second } = parts;
  const date = `${String(year).padStart(4, "0")}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
  return { date, year, month, day, hour, minute, second, minuteOfDay: hour * 60 + minute };
}

/** The zone's offset from UTC at instant `t`, in ms (New York in winter: -5 h). */
export function zoneOffsetMs(t: number, timeZone: string): number {
  const l = localTime(t, timeZone);
  const wall = Date.UTC(l.year, l.month - 1, l.day, l.hour, l.minute, l.second);
  return wall - Math.floor(t / 1000) * 1000;
}

/**
 * The instant at which the wall clock in `timeZone` reads the given local time. `day` may overflow
 * (day + 1 is tomorrow). A wall time skipped by a DST jump resolves to the instant just after it.
 */
export function instantAtLocal(timeZone: string, year: number, month: number, day: number, hour: number, minute: number): number {
  const wall = Date.UTC(year, month - 1, day, hour, minute);
  const first = wall - zoneOffsetMs(wall, timeZone);
  const second = wall - zoneOffsetMs(first, timeZone);
  return Math.max(first, second);
}

/** Clocks seen so far: a cycle has a handful (quiet hours, windows) and asks about each per customer. */
const clockMinutes = new Map<string, number>();

/** "HH:MM" → minutes since midnight. */
export function parseClock(hhmm: string): number {
  let minutes = clockMinutes.get(hhmm);
  if (minutes === undefined) {
    const [h, m] = hhmm.split(":").map(Number);
    minutes = h! * 60 + m!;
    if (clockMinutes.size > 10_000) clockMinutes.clear();
    clockMinutes.set(hhmm, minutes);
  }
  return minutes;
}

/** Whether a minute of the day falls in [start, end), a window that wraps midnight when start > end. Empty when start = end. */
export function inDailyWindow(minuteOfDay: number, start: number, end: number): boolean {
  if (start === end) return false;
  return start < end ? minuteOfDay >= start && minuteOfDay < end : minuteOfDay >= start || minuteOfDay < end;
}
