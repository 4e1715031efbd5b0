import { z } from "zod";
import { unitFromKey } from "./bandit.js";
import { defineTool } from "./define-tool.js";
import { inDailyWindow, parseClock } from "./eligibility-time-zone.js";

/**
 * Per-customer send hour (customer-local, sent at hh:00). The customer's hour histogram of
 * engagement (opens, clicks and purchases, weighted) is smoothed toward the segment's with a
 * Dirichlet prior: posterior(h) ∝ own(h) + priorStrength × segmentShare(h). Customers with less
 * history than `minHistory` explore: with probability `exploreShare` (a salted hash of the decision
 * key and the customer, so it is stable) they get an hour drawn from the posterior instead of its
 * mode, so the histogram learns about other hours. Hours inside quiet hours are never chosen.
 */

/** The schema's defaults, for callers that build a whole input themselves (chooseSendTimeUnchecked). */
export const SEND_TIME_DEFAULTS = {
  weights: { open: 1, click: 2, purchase: 4 },
  priorStrength: 5,
  minHistory: 5,
  exploreShare: 0.2,
} as const;

const clock = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "expected HH:MM");
const hours24 = z.array(z.number().nonnegative()).length(24);

export const SendTimeInputSchema = z.object({
  customerId: z.string().min(1),
  decisionKey: z.string().min(1),
  /** Engagement per local hour: opens, clicks and purchases already weighted by the caller or counted here. */
  opens: hours24,
  clicks: hours24,
  purchases: hours24,
  segmentHistogram: hours24,
  quietHours: z.object({ start: clock, end: clock }).nullable(),
  weights: z
    .object({ open: z.number().nonnegative(), click: z.number().nonnegative(), purchase: z.number().nonnegative() })
    .default(SEND_TIME_DEFAULTS.weights),
  priorStrength: z.number().positive().default(SEND_TIME_DEFAULTS.priorStrength),
  minHistory: z.number().nonnegative().default(SEND_TIME_DEFAULTS.minHistory),
  exploreShare: z.number().min(0).max(1).default(SEND_TIME_DEFAULTS.exploreShare),
});
export type SendTimeInput = z.input<typeof SendTimeInputSchema>;
/** The input once parsed: every default filled in. */
export type SendTimeParsed = z.output<typeof SendTimeInputSchema>;

export const SendTimeOutputSchema = z.object({
  /** Local hour 0-23, or null when quiet hours cover every hour. */
  hour: z.number().int().min(0).max(23).nullable(),
  source: z.enum(["customer", "segment", "explore", "none"]),
  /** Posterior share of the chosen hour among allowed hours. */
  share: z.number(),
  history: z.number(),
  reasons: z.array(z.string()),
});
export type SendTimeOutput = z.infer<typeof SendTimeOutputSchema>;

export function isQuietHour(hour: number, quietHours: { start: string; end: string } | null): boolean {
  return quietHours !== null && inDailyWindow(hour * 60, parseClock(quietHours.start), parseClock(quietHours.end));
}

/** Which local hours quiet hours leave open, by quiet-hours window (a cycle has a handful of them). */
const allowedByWindow = new Map<string, readonly boolean[]>();
function allowedHours(quietHours: { start: string; end: string } | null): readonly boolean[] {
  const key = quietHours ? `${quietHours.start}-${quietHours.end}` : "";
  let allowed = allowedByWindow.get(key);
  if (!allowed) {
    allowed = Array.from({ length: 24 }, (_, h) => !isQuietHour(h, quietHours));
    if (allowedByWindow.size > 1_000) allowedByWindow.clear();
    allowedByWindow.set(key, allowed);
  }
  return allowed;
}

export function chooseSendTime(raw: SendTimeInput): SendTimeOutput {
  return chooseSendTimeUnchecked(SendTimeInputSchema.parse(raw));
}

/**
 * chooseSendTime for an input already known to be valid (built from the store's typed rows, every
 * default filled in): the planner calls it once per contact, where parsing cost more than choosing.
 */
export function chooseSendTimeUnchecked(input: SendTimeParsed): SendTimeOutput {
  const { weights: wt } = input;
  const own = input.opens.map((o, h) => wt.open * o + wt.click * input.clicks[h] + wt.purchase * input.purchases[h]);
  const history =
    input.opens.reduce((s, v) => s + v, 0) + input.clicks.reduce((s, v) => s + v, 0) + input.purchases.reduce((s, v) => s + v, 0);
  const segTotal = input.segmentHistogram.reduce((s, v) => s + v, 0);
  const segShare = input.segmentHistogram.map((v) => (segTotal > 0 ? v / segTotal : 1 / 24));
  const allowed = allowedHours(input.quietHours);
  const posterior = own.map((v, h) => (allowed[h] ? v + input.priorStrength * segShare[h] + 1e-9 : 0));
  const total = posterior.reduce((s, v) => s + v, 0);
  if (!allowed.some(Boolean))
    return { hour: null, source: "none", share: 0, history, reasons: ["quiet hours cover every hour of the day: no send time"] };

  const mode = posterior.indexOf(Math.max(...posterior));
  const reasons = [`history ${history} engagements; posterior = own histogram + ${input.priorStrength} × segment shares (Dirichlet prior)`];
  if (history < input.minHistory && unitFromKey(`send-time|${input.decisionKey}`, input.customerId) < input.exploreShare) {
    // Draw from the posterior with a second hash, so exploration follows what the segment suggests.
    let u = unitFromKey(`send-time-hour|${input.decisionKey}`, input.customerId) * total;
    let hour = mode;
    for (let h = 0; h < 24; h++) {
      if (posterior[h] === 0) continue;
      hour = h;
      if ((u -= posterior[h]) < 0) break;
    }
    reasons.push(`little history (< ${input.minHistory}): exploring hour ${hour} drawn from the posterior (mode ${mode})`);
    return { hour, source: "explore", share: posterior[hour] / total, history, reasons };
  }
  const source = history >= input.minHistory ? "customer" : "segment";
  reasons.push(
    `${source === "customer" ? "own" : "mostly the segment's"} best allowed hour ${mode} (share ${((posterior[mode] / total) * 100).toFixed(1)}%)`,
  );
  return { hour: mode, source, share: posterior[mode] / total, history, reasons };
}

export const sendTimeTool = defineTool({
  name: "send_time",
  description:
    "Chooses a customer's local send hour from their own engagement histogram smoothed toward their segment's, exploring for customers with little history; never inside quiet hours.",
  input: SendTimeInputSchema,
  output: SendTimeOutputSchema,
  fn: (input) => chooseSendTime(input),
});
