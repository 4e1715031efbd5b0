import type { SegmentPlan } from "../../agents/strategist/index.js";
import type { SuppressionRule } from "../../store/suppression-rules-repo.js";
import type { Strategy } from "../../tools/targeting.js";
import type { CampaignBrief } from "./settings.js";

/**
 * Pure rules by which planning honours a marketer's brief (settings.brief) and the pause rules in
 * force (store/suppression-rules-repo.ts).
 */

export interface SegmentRef {
  segmentId: string;
  name: string;
  /** "feature direction (z)" strings from the refresh, e.g. "recency_days high (1.3)". */
  traits?: readonly string[];
}

/** What each audience filter means, by archetype name or by the segment's distinguishing traits. */
const FILTERS: Record<string, { name: RegExp; trait: RegExp }> = {
  lapsed: { name: /dormant|hibernat|churn|lapsed|at risk/i, trait: /^(recency_days|overdue_ratio) high/ },
  high_value: { name: /champion|premium|high-spend|spenders/i, trait: /^monetary high/ },
  new: { name: /new/i, trait: /^tenure_days low/ },
  promo_sensitive: { name: /coupon|promo|floater/i, trait: /^discount_share high/ },
  disengaged: { name: /hibernat|dormant/i, trait: /^days_since_engagement high/ },
  loyal: { name: /loyal|champion/i, trait: /^frequency high/ },
};

/**
 * Whether a brief's audience covers a segment: named segment ids and archetypes add segments; the
 * filters, all of which must hold, add the segments they describe. No audience: every segment.
 */
export function segmentInAudience(segment: SegmentRef, audience: CampaignBrief["audience"]): boolean {
  if (!audience) return true;
  const { segments = [], archetypes = [], filters = [] } = audience;
  if (segments.length + archetypes.length + filters.length === 0) return true;
  if (segments.includes(segment.segmentId)) return true;
  if (archetypes.some((a) => segment.name.toLowerCase().startsWith(a.toLowerCase()))) return true;
  if (filters.length === 0) return false;
  return filters.every((f) => {
    const rule = FILTERS[f];
    return rule !== undefined && (rule.name.test(segment.name) || (segment.traits ?? []).some((t) => rule.trait.test(t)));
  });
}

/** The contact strategies planning may offer under a brief (all of them without one). */
export function briefStrategies(brief: CampaignBrief | undefined, all: readonly Strategy[]): readonly Strategy[] {
  const s = brief?.strategy;
  return s && all.includes(s) ? [s] : all;
}

function noContact(p: SegmentPlan, strategy: Strategy, reason: string): SegmentPlan {
  return {
    ...p,
    strategy,
    optionId: null,
    channel: null,
    offerDepth: 0,
    contacts: 0,
    budget: 0,
    expectedIncrementalMargin: 0,
    reasons: [...p.reasons, reason],
  };
}

/**
 * The strategist's plans under the brief: segments outside its audience are not contacted; a
 * cool-down or suppression brief is applied to its audience; contact plans are kept, best expected
 * net margin first, while their cost fits the brief's budget.
 */
export function applyBrief(
  plans: readonly SegmentPlan[],
  brief: CampaignBrief | undefined,
  segments: readonly SegmentRef[],
): SegmentPlan[] {
  if (!brief) return [...plans];
  const byId = new Map(segments.map((s) => [s.segmentId, s]));
  const out = plans.map((p) => {
    const seg = byId.get(p.segmentId) ?? { segmentId: p.segmentId, name: p.name };
    if (!segmentInAudience(seg, brief.audience)) return noContact(p, "suppress", "outside the brief's audience: not contacted this cycle");
    if (brief.strategy === "cooldown" || brief.strategy === "suppress")
      return noContact(p, brief.strategy, `the brief asks for ${brief.strategy === "cooldown" ? "a cool-down" : "suppression"}`);
    return p;
  });
  if (brief.budget === undefined) return out;
  let spent = 0;
  const order = out
    .map((p, i) => ({ p, i }))
    .filter(({ p }) => p.channel !== null && p.contacts > 0)
    .sort(
      (a, b) =>
        b.p.expectedIncrementalMargin - b.p.budget - (a.p.expectedIncrementalMargin - a.p.budget) ||
        a.p.segmentId.localeCompare(b.p.segmentId),
    );
  for (const { p, i } of order) {
    if (spent + p.budget <= brief.budget) spent += p.budget;
    else out[i] = noContact(p, "suppress", `over the brief's budget of ${brief.budget} (${spent.toFixed(2)} already planned)`);
  }
  return out;
}

/**
 * The suppressions pause rules add for one customer at a planned send time: each rule in force then
 * that covers the customer's segment, on its channels (or all).
 */
export function pauseSuppressions(
  rules: readonly SuppressionRule[],
  segmentId: string | undefined,
  plannedAt: Date,
): Array<{ channel: string; reason: string; addedAt: Date }> {
  return rules
    .filter(
      (r) => r.createdAt <= plannedAt && (r.until === null || r.until > plannedAt) && (r.segmentId === null || r.segmentId === segmentId),
    )
    .flatMap((r) =>
      (r.channels ?? ["all"]).map((channel) => ({
        channel,
        reason: `paused by ${r.createdBy}${r.until ? ` until ${r.until.toISOString()}` : ""} (rule ${r.ruleId})`,
        addedAt: r.createdAt,
      })),
    );
}

const DAY_MS = 86_400_000;

/** A window bound (a date, YYYY-MM-DD, or an ISO instant) as an instant: a date's start is 00:00 UTC, its end the next day's 00:00 UTC. */
export function windowBound(value: string, edge: "start" | "end"): Date {
  const day = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const t = new Date(day ? `${value}T00:00:00Z` : value).getTime();
  if (!Number.isFinite(t)) throw new RangeError(`invalid window ${edge}: ${value}`);
  return new Date(day && edge === "end" ? t + DAY_MS : t);
}

/** Why a brief's window cannot be planned at `now` (it has ended, or ends before it starts); null when it can. */
export function briefWindowError(brief: CampaignBrief | undefined, now: Date): string | null {
  const w = brief?.window;
  if (!w?.end) return null;
  const end = windowBound(w.end, "end");
  if (end <= now) return `the campaign window ended on ${w.end}: nothing can be sent in it; give a window that has not ended`;
  if (w.start && windowBound(w.start, "start") >= end) return `the campaign window starts (${w.start}) after it ends (${w.end})`;
  return null;
}

/** The earliest instant a brief allows sends from: the window's start when it is later than `asOf`, else `asOf`. */
export function briefSendFrom(brief: CampaignBrief | undefined, asOf: Date): Date {
  const start = brief?.window?.start;
  if (!start) return asOf;
  const s = windowBound(start, "start");
  return s > asOf ? s : asOf;
}

/** The instant a brief's window ends (exclusive): no send planned or made from it on. Null for an open window. */
export function briefSendUntil(brief: CampaignBrief | undefined): Date | null {
  const end = brief?.window?.end;
  return end ? windowBound(end, "end") : null;
}

/** Reason codes of the window cap: at planning (the send time falls after the window) and at send time. */
export const OUTSIDE_BRIEF_WINDOW = "outside_brief_window";
export const WINDOW_ENDED_BEFORE_SEND = "brief_window_ended_before_send";

/**
 * The window cap on a send planned at `plannedAt`: null when it falls before the window's end (or
 * the window is open), else the reason the customer is not contacted.
 */
export function windowCap(brief: CampaignBrief | undefined, plannedAt: Date): { code: string; message: string } | null {
  const sendUntil = briefSendUntil(brief);
  if (!sendUntil || plannedAt < sendUntil) return null;
  return {
    code: OUTSIDE_BRIEF_WINDOW,
    message: `the send time ${plannedAt.toISOString()} falls after the brief's window, which ends ${sendUntil.toISOString()}`,
  };
}

/** The window cap at send time: why a queued message is not sent at `now` (its campaign's window has ended), or null. */
export function windowEndedAtSend(sendUntil: string | undefined, now: Date): string | null {
  if (!sendUntil || now < new Date(sendUntil)) return null;
  return `the brief's window ended ${sendUntil} before the send time (${now.toISOString()}): not sent`;
}

/**
 * Which members of a segment a brief's category prefers: those with a share of spend in the
 * category (share_<category> from tools/features.ts). Null — no preference — without a category,
 * when the features have no share for it, or when no member buys it (the segment keeps its plan).
 */
export function categoryPreference(brief: CampaignBrief | undefined, shares: readonly number[] | null): boolean[] | null {
  if (!brief?.category || !shares) return null;
  const keep = shares.map((s) => s > 0);
  return keep.some(Boolean) ? keep : null;
}

/** The pause rule in force at `at` that stops a queued message on `channel` to a member of `segmentId`, if any. */
export function pauseAtSend(
  rules: readonly SuppressionRule[],
  segmentId: string | undefined,
  channel: string,
  at: Date,
): SuppressionRule | null {
  return (
    rules.find(
      (r) =>
        r.createdAt <= at &&
        (r.until === null || r.until > at) &&
        (r.liftedAt === null || r.liftedAt > at) &&
        (r.segmentId === null || r.segmentId === segmentId) &&
        (r.channels === null || r.channels.includes(channel)),
    ) ?? null
  );
}
