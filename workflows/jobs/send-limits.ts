import { InputError } from "../../core/errors.js";
import { CHANNELS, type Channel, type RateLimit } from "./types.js";

/**
 * Parses `channel=max/durationMs` (e.g. `sms=20/1000`, `email=200/1s`, `push=6000/1m`) as given to
 * `pulse worker --rate`.
 */
export function parseSendLimit(spec: string): [Channel, RateLimit] {
  const m = /^\s*([a-z_]+)\s*=\s*(\d+)\s*\/\s*(\d+)(ms|s|m)?\s*$/.exec(spec);
  if (!m) throw new InputError(`--rate "${spec}": expected channel=max/duration, e.g. sms=20/1s or email=200/1000`);
  const channel = m[1]!;
  if (!(CHANNELS as readonly string[]).includes(channel)) {
    throw new InputError(`--rate "${spec}": unknown channel "${channel}" (one of ${CHANNELS.join(", ")})`);
  }
  const max = Number(m[2]);
  const durationMs = Number(m[3]) * ({ ms: 1, s: 1_000, m: 60_000 } as const)[(m[4] ?? "ms") as "ms" | "s" | "m"];
  if (max < 1 || durationMs < 1) throw new InputError(`--rate "${spec}": max and duration must be positive`);
  return [channel as Channel, { max, durationMs }];
}

export function parseSendLimits(specs: readonly string[]): Partial<Record<Channel, RateLimit>> {
  return Object.fromEntries(specs.map(parseSendLimit)) as Partial<Record<Channel, RateLimit>>;
}
