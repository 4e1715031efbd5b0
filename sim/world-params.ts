import { z } from "zod";
import { InputError } from "../core/errors.js";
import { ARCHETYPES, archetypeMixSchema, normalizeMix, type Archetype } from "./archetypes.js";
import { addMonthsUtc, parseDateOnly } from "./calendar.js";
import { cumulative } from "./rng.js";

export const DEFAULT_START = "2024-01-01";

export const worldParamsSchema = z.object({
  customers: z.number().int().min(1).max(5_000_000),
  seed: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  /** First day of history, YYYY-MM-DD (UTC). */
  start: z
    .string()
    .refine((s) => !Number.isNaN(parseDateOnly(s)), "must be a date YYYY-MM-DD")
    .default(DEFAULT_START),
  months: z.number().int().min(1).max(36).default(12),
  archetypeMix: archetypeMixSchema.optional(),
});
export type WorldParamsInput = z.input<typeof worldParamsSchema>;

/** Parameters with defaults applied and derived values computed. */
export interface WorldParams {
  customers: number;
  seed: number;
  start: string;
  months: number;
  /** Normalized proportions (sum to 1). */
  archetypeMix: Record<Archetype, number>;
  historyStart: number;
  /** End of history: the simulated "now" when a world is created. */
  historyEnd: number;
  idWidth: number;
  mixCumulative: number[];
}

export function resolveWorldParams(input: WorldParamsInput): WorldParams {
  const parsed = worldParamsSchema.safeParse(input);
  if (!parsed.success) throw new InputError(`invalid world parameters: ${z.prettifyError(parsed.error)}`);
  const { customers, seed, start, months, archetypeMix } = parsed.data;
  const mix = normalizeMix(archetypeMix);
  const historyStart = parseDateOnly(start);
  return {
    customers,
    seed,
    start,
    months,
    archetypeMix: mix,
    historyStart,
    historyEnd: addMonthsUtc(historyStart, months),
    idWidth: Math.max(6, String(customers).length),
    mixCumulative: cumulative(ARCHETYPES.map((a) => mix[a])),
  };
}

/** The JSON-safe part of the parameters, enough to rebuild the world. */
export function publicParams(p: WorldParams): {
  customers: number;
  seed: number;
  start: string;
  months: number;
  archetypeMix: Record<Archetype, number>;
} {
  return { customers: p.customers, seed: p.seed, start: p.start, months: p.months, archetypeMix: p.archetypeMix };
}
