import type { StructuredToolInterface } from "@langchain/core/tools";
import { z } from "zod";
import type { Clock } from "../core/clock.js";
import type { CustomerHistory, FeatureCustomer, FeatureEvent, FeatureOrderLine, FeatureResponse, Timestamp } from "../core/history.js";
import { CATEGORIES, CHANNELS, ORDER_STATUSES, RESPONSE_TYPES, channelSchema } from "../ingest/formats.js";
import { defineTool, toLangChainTool } from "./define-tool.js";

/**
 * Per-customer feature vectors as of an instant `asOf`, computed from rows strictly before it: a row
 * stamped at or after `asOf` is skipped, so history added later can never change a past vector
 * (features.property.test.ts proves it). Everything is numeric and finite.
 *
 * Shape for scale: `customerFeatures(history, asOf)` reads one customer's grouped history (what a
 * streaming loader sorted by customer hands over, one customer at a time) and writes into a caller's
 * Float64Array; `computeFeatureMatrix` runs it over any iterable into one row-major buffer. Row order
 * inside a history does not matter.
 *
 * Definitions (days are 86,400,000 ms; "purchase" = an order with at least one completed line):
 * - Line value: gross = |quantity × unit_price|, net = gross − discount. Cancelled lines are ignored
 *   everywhere. A line with status "returned" was bought and handed back (the simulator's layout); a
 *   separate refund line with negative quantity or price works too (it adds nothing to sales).
 * - recency_days: days since the last purchase; no purchase → tenure_days.
 * - frequency: distinct purchase orders, all history before asOf.
 * - monetary: net spend in the last `monetaryWindowDays` (default 365): net of lines sold in the window
 *   minus net of lines returned in the window. Can be negative when refunds exceed sales.
 * - aov: lifetime net spend (sales − returns) ÷ frequency; 0 without purchases.
 * - tenure_days: days since signup (or the first purchase, if that came earlier); at least 0.
 * - mean_interpurchase_days: mean gap between consecutive purchases = (last − first) ÷ (frequency − 1);
 *   with fewer than two purchases, tenure_days (the only cadence evidence there is).
 * - overdue_ratio: recency_days ÷ max(mean_interpurchase_days, 1). A customer who buys every 21-28 days
 *   and has not for 40 sits near 1.6. No purchase → 1 once tenure reaches a day; one purchase → ≤ 1.
 * - discount_share: discount ÷ gross over lines sold. return_rate: gross returned ÷ gross sold (≤ 1).
 * - margin_rate: margin ÷ net over completed lines that carry a margin.
 * - share_<category>: share of completed net spend per category of CATEGORIES (other categories
 *   count in the denominator only, so the shares may sum below 1); 0 without purchases.
 * - Engagement, per message (message_id): exposed = delivered (or engaged, which implies delivery;
 *   a bounce alone is not an exposure); opened = open or click (SMS has no open event); clicked;
 *   converted. open/click/conversion_rate_<channel> = (count + s·prior) ÷ (exposures + s), a Beta
 *   prior of strength s (default 2) so a channel never used reads the prior, not 0/0.
 * - days_since_engagement: days since the last open, click or conversion on any channel; none → tenure_days.
 * - active_share_<daypart>: share of the customer's own actions (purchases, events, opens, clicks,
 *   conversions) by local hour: night 0-6, morning 6-12, afternoon 12-18, evening 18-24. Local time
 *   uses the customer's time zone at its offset at asOf (a DST change inside the history shifts
 *   some actions by an hour); UTC without one. All 0 without actions.
 * - exposures_7d / exposures_30d: exposures (all channels) in the 7 / 30 days before asOf.
 * - unanswered_streak_<channel>: exposures on the channel after the latest one that was opened,
 *   clicked or converted (all of them when none was). Engagement counts only if it happened before asOf.
 * - events_30d: site/app events (views, searches, cart changes, sessions) in the 30 days before asOf.
 */

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export const DAYPARTS = ["night", "morning", "afternoon", "evening"] as const;

type Category = (typeof CATEGORIES)[number];
type ChannelName = (typeof CHANNELS)[number];
type Daypart = (typeof DAYPARTS)[number];

const ORDER_FEATURES = [
  "recency_days",
  "frequency",
  "monetary",
  "aov",
  "tenure_days",
  "mean_interpurchase_days",
  "overdue_ratio",
  "discount_share",
  "return_rate",
  "margin_rate",
] as const;

export type FeatureName =
  | (typeof ORDER_FEATURES)[number]
  | `share_${Category}`
  | `${"open" | "click" | "conversion"}_rate_${ChannelName}`
  | "days_since_engagement"
  | `active_share_${Daypart}`
  | "exposures_7d"
  | "exposures_30d"
  | `unanswered_streak_${ChannelName}`
  | "events_30d";

/** Column order of every feature vector. */
export const FEATURE_NAMES: readonly FeatureName[] = [
  ...ORDER_FEATURES,
  ...CATEGORIES.map((c) => `share_${c}` as const),
  ...CHANNELS.flatMap((ch) => [`open_rate_${ch}`, `click_rate_${ch}`, `conversion_rate_${ch}`] as const),
  "days_since_engagement",
  ...DAYPARTS.map((d) => `active_share_${d}` as const),
  "exposures_7d",
  "exposures_30d",
  ...CHANNELS.map((ch) => `unanswered_streak_${ch}` as const),
  "events_30d",
];
export const FEATURE_COUNT = FEATURE_NAMES.length;

// Column offsets, derived from the same lists so they cannot drift from FEATURE_NAMES.
const F_RECENCY = 0;
const F_FREQUENCY = 1;
const F_MONETARY = 2;
const F_AOV = 3;
const F_TENURE = 4;
const F_IPT = 5;
const F_OVERDUE = 6;
const F_DISCOUNT = 7;
const F_RETURN = 8;
const F_MARGIN = 9;
const F_SHARE0 = ORDER_FEATURES.length;
const F_RATE0 = F_SHARE0 + CATEGORIES.length;
const F_ENGAGEMENT = F_RATE0 + 3 * CHANNELS.length;
const F_DAYPART0 = F_ENGAGEMENT + 1;
const F_EXPOSURES_7D = F_DAYPART0 + DAYPARTS.length;
const F_EXPOSURES_30D = F_EXPOSURES_7D + 1;
const F_STREAK0 = F_EXPOSURES_30D + 1;
const F_EVENTS_30D = F_STREAK0 + CHANNELS.length;

const CATEGORY_INDEX = new Map<string, number>(CATEGORIES.map((c, i) => [c, i]));
const CHANNEL_INDEX = new Map<string, number>(CHANNELS.map((c, i) => [c, i]));

// The history rows features read live in core/history.ts (store/history-repo.ts loads them); re-exported here.
export type { Timestamp, FeatureCustomer, FeatureOrderLine, FeatureEvent, FeatureResponse, CustomerHistory };

export function toMs(t: Timestamp): number {
  return typeof t === "number" ? t : t instanceof Date ? t.getTime() : Date.parse(t);
}

const unit = z.number().min(0).max(1);

export const featureOptionsSchema = z.object({
  /** Window of `monetary`, in days before asOf. */
  monetaryWindowDays: z.number().positive().default(365),
  /** Pseudo-exposures of the engagement-rate prior. */
  engagementPriorStrength: z.number().min(0).default(2),
  priorOpenRate: unit.default(0.2),
  priorClickRate: unit.default(0.05),
  priorConversionRate: unit.default(0.02),
  /** Day-parts in the customer's own time zone (else UTC). */
  useCustomerTimeZone: z.boolean().default(true),
});
export type FeatureOptions = z.infer<typeof featureOptionsSchema>;
export type FeatureOptionsInput = z.input<typeof featureOptionsSchema>;
export const DEFAULT_FEATURE_OPTIONS: FeatureOptions = featureOptionsSchema.parse({});

// Offsets of time zones at an instant; memoized because Intl formatting costs ~µs per call.
const offsetCache = new Map<string, number>();
const formatterCache = new Map<string, Intl.DateTimeFormat | null>();

function zoneOffsetMsAt(t: number, timeZone: string): number {
  if (timeZone === "UTC" || timeZone === "Etc/UTC") return 0;
  const key = `${timeZone}|${t}`;
  const cached = offsetCache.get(key);
  if (cached !== undefined) return cached;
  let fmt = formatterCache.get(timeZone);
  if (fmt === undefined) {
    try {
      fmt = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch {
      fmt = null; // ingestion rejects unknown zones; anything that slips through reads as UTC
    }
    formatterCache.set(timeZone, fmt);
  }
  let offset = 0;
  if (fmt && Number.isFinite(t)) {
    const p: Record<string, number> = {};
    for (const part of fmt.formatToParts(new Date(t))) if (part.type !== "literal") p[part.type] = Number(part.value);
    const wall = Date.UTC(p.year, p.month - 1, p.day, p.hour === 24 ? 0 : p.hour, p.minute, p.second);
    offset = wall - Math.floor(t / 1000) * 1000;
  }
  if (offsetCache.size > 10_000) offsetCache.clear();
  offsetCache.set(key, offset);
  return offset;
}

function daypartOf(t: number, offset: number): number {
  const local = (((t + offset) % DAY_MS) + DAY_MS) % DAY_MS;
  return Math.floor(local / (6 * HOUR_MS));
}

// Scratch buffers reused across calls: the function stays pure (nothing survives a call) but allocates
// almost nothing per customer.
const channelCounts = new Float64Array(CHANNELS.length * 4); // exposed, opened, clicked, converted
const lastAnswered = new Float64Array(CHANNELS.length);
const daypartCounts = new Float64Array(DAYPARTS.length);

const DELIVERED = 1;
const OPENED = 2;
const CLICKED = 4;
const CONVERTED = 8;
const ANSWERED = OPENED | CLICKED | CONVERTED;

interface MessageState {
  channel: number;
  deliveredAt: number;
  firstEngagedAt: number;
  flags: number;
}

/**
 * Writes the feature vector of one customer as of `asOf` into `out` at `offset` (FEATURE_NAMES order)
 * and returns `out`. Only rows stamped strictly before `asOf` are read.
 */
export function customerFeatures(
  history: CustomerHistory,
  asOf: Timestamp,
  options: FeatureOptions = DEFAULT_FEATURE_OPTIONS,
  out: Float64Array = new Float64Array(FEATURE_COUNT),
  offset = 0,
): Float64Array {
  const T = toMs(asOf);
  out.fill(0, offset, offset + FEATURE_COUNT);
  daypartCounts.fill(0);
  const tz = options.useCustomerTimeZone ? history.customer.timezone : undefined;
  const zoneOffset = tz ? zoneOffsetMsAt(T, tz) : 0;
  const windowStart = T - options.monetaryWindowDays * DAY_MS;
  const since7d = T - 7 * DAY_MS;
  const since30d = T - 30 * DAY_MS;

  // Orders.
  let salesGross = 0;
  let salesDiscount = 0;
  let salesNet = 0;
  let returnedGross = 0;
  let returnedNet = 0;
  let windowNet = 0;
  let completedNet = 0;
  let marginSum = 0;
  let marginBase = 0;
  // order_id → earliest completed line; a purchase's time.
  const purchases = new Map<string, number>();
  for (const line of history.orders) {
    const t = toMs(line.ordered_at);
    if (!(t < T)) continue;
    const status = line.status ?? "completed";
    if (status === "cancelled") continue;
    const signed = line.quantity * line.unit_price;
    const gross = Math.abs(signed);
    const discount = line.discount ?? 0;
    const net = gross - discount;
    const inWindow = t >= windowStart;
    if (signed > 0) {
      salesGross += gross;
      salesDiscount += discount;
      salesNet += net;
      if (inWindow) windowNet += net;
    }
    if (status === "returned") {
      returnedGross += gross;
      returnedNet += net;
      if (inWindow) windowNet -= net;
      continue;
    }
    completedNet += net;
    const cat = CATEGORY_INDEX.get(line.category);
    if (cat !== undefined) out[offset + F_SHARE0 + cat] += net;
    if (line.margin !== undefined && Number.isFinite(line.margin)) {
      marginSum += line.margin;
      marginBase += net;
    }
    const prev = purchases.get(line.order_id);
    if (prev === undefined || t < prev) purchases.set(line.order_id, t);
  }
  const frequency = purchases.size;
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const t of purchases.values()) {
    if (t < first) first = t;
    if (t > last) last = t;
    daypartCounts[daypartOf(t, zoneOffset)]++;
  }
  const signup = toMs(history.customer.signup_at);
  const start = Math.min(Number.isFinite(signup) ? signup : T, first);
  const tenure = Math.max(0, (T - start) / DAY_MS);
  const recency = frequency > 0 ? (T - last) / DAY_MS : tenure;
  const ipt = frequency >= 2 ? (last - first) / DAY_MS / (frequency - 1) : tenure;
  out[offset + F_RECENCY] = recency;
  out[offset + F_FREQUENCY] = frequency;
  out[offset + F_MONETARY] = windowNet;
  out[offset + F_AOV] = frequency > 0 ? (salesNet - returnedNet) / frequency : 0;
  out[offset + F_TENURE] = tenure;
  out[offset + F_IPT] = ipt;
  out[offset + F_OVERDUE] = recency / Math.max(ipt, 1);
  out[offset + F_DISCOUNT] = salesGross > 0 ? salesDiscount / salesGross : 0;
  out[offset + F_RETURN] = salesGross > 0 ? Math.min(1, returnedGross / salesGross) : 0;
  out[offset + F_MARGIN] = marginBase > 0 ? marginSum / marginBase : 0;
  for (let c = 0; c < CATEGORIES.length; c++) {
    out[offset + F_SHARE0 + c] = completedNet > 0 ? out[offset + F_SHARE0 + c] / completedNet : 0;
  }

  // Events.
  let events30d = 0;
  if (history.events) {
    for (const e of history.events) {
      const t = toMs(e.occurred_at);
      if (!(t < T)) continue;
      daypartCounts[daypartOf(t, zoneOffset)]++;
      if (t >= since30d) events30d++;
    }
  }
  const eventTimes = history.eventTimes;
  if (eventTimes) {
    for (let i = 0; i < eventTimes.length; i++) {
      const t = eventTimes[i]!;
      if (!(t < T)) continue;
      daypartCounts[daypartOf(t, zoneOffset)]++;
      if (t >= since30d) events30d++;
    }
  }
  out[offset + F_EVENTS_30D] = events30d;

  // Message engagement.
  channelCounts.fill(0);
  lastAnswered.fill(Number.NEGATIVE_INFINITY);
  let lastEngagement = Number.NEGATIVE_INFINITY;
  let exposures7d = 0;
  let exposures30d = 0;
  if (history.responses && history.responses.length > 0) {
    const messages = new Map<string, MessageState>();
    for (const r of history.responses) {
      const t = toMs(r.occurred_at);
      if (!(t < T)) continue;
      const ch = CHANNEL_INDEX.get(r.channel);
      if (ch === undefined) continue;
      let flag = 0;
      switch (r.type) {
        case "delivered":
          flag = DELIVERED;
          break;
        case "open":
          flag = OPENED;
          break;
        case "click":
          flag = OPENED | CLICKED;
          break;
        case "conversion":
          flag = CONVERTED;
          break;
        default:
          continue; // bounces and unsubscribes are not exposures or engagement
      }
      let m = messages.get(r.message_id);
      if (m === undefined) {
        m = { channel: ch, deliveredAt: Number.POSITIVE_INFINITY, firstEngagedAt: Number.POSITIVE_INFINITY, flags: 0 };
        messages.set(r.message_id, m);
      }
      m.flags |= flag;
      if (flag === DELIVERED) {
        if (t < m.deliveredAt) m.deliveredAt = t;
      } else {
        if (t < m.firstEngagedAt) m.firstEngagedAt = t;
        if (t > lastEngagement) lastEngagement = t;
        daypartCounts[daypartOf(t, zoneOffset)]++;
      }
    }
    for (const m of messages.values()) {
      const exposedAt = m.flags & DELIVERED ? m.deliveredAt : m.firstEngagedAt;
      const base = m.channel * 4;
      channelCounts[base]++;
      if (m.flags & OPENED) channelCounts[base + 1]++;
      if (m.flags & CLICKED) channelCounts[base + 2]++;
      if (m.flags & CONVERTED) channelCounts[base + 3]++;
      if (m.flags & ANSWERED && exposedAt > lastAnswered[m.channel]) lastAnswered[m.channel] = exposedAt;
      if (exposedAt >= since30d) {
        exposures30d++;
        if (exposedAt >= since7d) exposures7d++;
      }
    }
    for (const m of messages.values()) {
      const exposedAt = m.flags & DELIVERED ? m.deliveredAt : m.firstEngagedAt;
      if (exposedAt > lastAnswered[m.channel]) out[offset + F_STREAK0 + m.channel]++;
    }
  }
  const s = options.engagementPriorStrength;
  const rate = (k: number, n: number, prior: number) => (n + s > 0 ? (k + s * prior) / (n + s) : prior);
  for (let c = 0; c < CHANNELS.length; c++) {
    const n = channelCounts[c * 4];
    out[offset + F_RATE0 + 3 * c] = rate(channelCounts[c * 4 + 1], n, options.priorOpenRate);
    out[offset + F_RATE0 + 3 * c + 1] = rate(channelCounts[c * 4 + 2], n, options.priorClickRate);
    out[offset + F_RATE0 + 3 * c + 2] = rate(channelCounts[c * 4 + 3], n, options.priorConversionRate);
  }
  out[offset + F_ENGAGEMENT] = lastEngagement > Number.NEGATIVE_INFINITY ? (T - lastEngagement) / DAY_MS : tenure;
  out[offset + F_EXPOSURES_7D] = exposures7d;
  out[offset + F_EXPOSURES_30D] = exposures30d;

  let actions = 0;
  for (let d = 0; d < DAYPARTS.length; d++) actions += daypartCounts[d];
  for (let d = 0; d < DAYPARTS.length; d++) out[offset + F_DAYPART0 + d] = actions > 0 ? daypartCounts[d] / actions : 0;
  return out;
}

/** Feature vectors of many customers, row-major: row i is `values[i * FEATURE_COUNT .. (i + 1) * FEATURE_COUNT)`. */
export interface FeatureMatrix {
  feature_names: readonly FeatureName[];
  customer_ids: string[];
  values: Float64Array;
}

/** Runs `customerFeatures` over any iterable of histories (a generator streaming from a loader works). */
export function computeFeatureMatrix(
  histories: Iterable<CustomerHistory>,
  asOf: Timestamp,
  options: FeatureOptions = DEFAULT_FEATURE_OPTIONS,
): FeatureMatrix {
  const initial = Array.isArray(histories) ? histories.length : 1024;
  let values = new Float64Array(Math.max(1, initial) * FEATURE_COUNT);
  const ids: string[] = [];
  for (const h of histories) {
    const at = ids.length * FEATURE_COUNT;
    if (at + FEATURE_COUNT > values.length) {
      const grown = new Float64Array(values.length * 2);
      grown.set(values);
      values = grown;
    }
    customerFeatures(h, asOf, options, values, at);
    ids.push(h.customer.customer_id);
  }
  return { feature_names: FEATURE_NAMES, customer_ids: ids, values: values.subarray(0, ids.length * FEATURE_COUNT) };
}

/** Row `i` of a feature matrix as a plain array (what the ML helpers take). */
export function featureRow(matrix: FeatureMatrix, i: number): number[] {
  return Array.from(matrix.values.subarray(i * FEATURE_COUNT, (i + 1) * FEATURE_COUNT));
}

export function featureRows(matrix: FeatureMatrix): number[][] {
  return matrix.customer_ids.map((_, i) => featureRow(matrix, i));
}

/** A vector as `{ feature_name: value }`. */
export function featureRecord(values: ArrayLike<number>, offset = 0): Record<FeatureName, number> {
  const rec = {} as Record<FeatureName, number>;
  FEATURE_NAMES.forEach((name, j) => {
    rec[name] = values[offset + j];
  });
  return rec;
}

/**
 * Groups flat rows into per-customer histories, in the order of `customers`. Rows of customers not
 * listed are dropped. For 1M customers prefer a loader that streams rows sorted by customer.
 */
export function groupHistories(input: {
  customers: readonly FeatureCustomer[];
  orders?: readonly (FeatureOrderLine & { customer_id: string })[];
  events?: readonly (FeatureEvent & { customer_id: string })[];
  responses?: readonly (FeatureResponse & { customer_id: string })[];
}): CustomerHistory[] {
  const byId = new Map<
    string,
    { customer: FeatureCustomer; orders: FeatureOrderLine[]; events: FeatureEvent[]; responses: FeatureResponse[] }
  >();
  for (const customer of input.customers) byId.set(customer.customer_id, { customer, orders: [], events: [], responses: [] });
  for (const o of input.orders ?? []) byId.get(o.customer_id)?.orders.push(o);
  for (const e of input.events ?? []) byId.get(e.customer_id)?.events.push(e);
  for (const r of input.responses ?? []) byId.get(r.customer_id)?.responses.push(r);
  return [...byId.values()];
}

// ---------------------------------------------------------------------------------------------
// Agent tool

/** Plain field (no preprocessing) so agents get a JSON schema. */
const customerIdField = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");
/** ISO 8601 instant with an explicit offset, or epoch ms. */
const instantField = z.union([z.iso.datetime({ offset: true }), z.number().int()]);

export const featureCustomerSchema = z.object({
  customer_id: customerIdField,
  signup_at: instantField,
  timezone: z.string().max(64).optional(),
});
export const featureOrderLineSchema = z.object({
  order_id: customerIdField,
  customer_id: customerIdField,
  ordered_at: instantField,
  category: z.string().min(1).max(64),
  quantity: z.number().int(),
  unit_price: z.number(),
  discount: z.number().min(0).optional(),
  margin: z.number().optional(),
  status: z.enum(ORDER_STATUSES).optional(),
});
export const featureEventSchema = z.object({ customer_id: customerIdField, occurred_at: instantField });
export const featureResponseSchema = z.object({
  message_id: customerIdField,
  customer_id: customerIdField,
  channel: channelSchema,
  type: z.enum(RESPONSE_TYPES),
  occurred_at: instantField,
});

export const featuresInputSchema = z.object({
  asOf: instantField,
  customers: z.array(featureCustomerSchema).max(1000),
  orders: z.array(featureOrderLineSchema).default([]),
  events: z.array(featureEventSchema).default([]),
  responses: z.array(featureResponseSchema).default([]),
  options: featureOptionsSchema.prefault({}),
});
export type FeaturesInput = z.input<typeof featuresInputSchema>;

const featureVectorSchema = z.record(z.enum(FEATURE_NAMES as [FeatureName, ...FeatureName[]]), z.number());

export const featuresOutputSchema = z.object({
  asOf: z.string(),
  feature_names: z.array(z.string()),
  customers: z.array(z.object({ customer_id: z.string(), features: featureVectorSchema })),
});
export type FeaturesOutput = z.infer<typeof featuresOutputSchema>;

export function featuresFromInput(input: z.infer<typeof featuresInputSchema>): FeaturesOutput {
  const histories = groupHistories(input);
  const matrix = computeFeatureMatrix(histories, input.asOf, input.options);
  return {
    asOf: new Date(toMs(input.asOf)).toISOString(),
    feature_names: [...FEATURE_NAMES],
    customers: matrix.customer_ids.map((customer_id, i) => ({
      customer_id,
      features: featureRecord(matrix.values, i * FEATURE_COUNT),
    })),
  };
}

export const featuresToolDefinition = defineTool({
  name: "customer_features",
  description:
    "Per-customer features as of an instant, from history strictly before it: recency, frequency, monetary, aov, " +
    "tenure, inter-purchase time and overdue ratio, discount share, return and margin rates, category shares, " +
    "per-channel open/click/conversion rates, days since engagement, active day-parts, recent exposures, " +
    "unanswered streaks per channel.",
  input: featuresInputSchema,
  output: featuresOutputSchema,
  fn: featuresFromInput,
});

export interface FeaturesToolDeps {
  /** Loads the named customers' histories (rows may include anything after asOf; it is ignored). */
  loadHistories?: (customerIds: string[]) => Promise<CustomerHistory[]>;
  clock?: Clock;
  options?: FeatureOptionsInput;
}

/** Plain JSON for the agent: Dates and strings become epoch ms. */
function historiesToInput(histories: CustomerHistory[]): Omit<FeaturesInput, "asOf"> {
  const customers: z.input<typeof featureCustomerSchema>[] = [];
  const orders: z.input<typeof featureOrderLineSchema>[] = [];
  const events: z.input<typeof featureEventSchema>[] = [];
  const responses: z.input<typeof featureResponseSchema>[] = [];
  for (const h of histories) {
    const customer_id = h.customer.customer_id;
    customers.push({ customer_id, signup_at: toMs(h.customer.signup_at), timezone: h.customer.timezone });
    for (const o of h.orders) {
      orders.push({
        order_id: o.order_id,
        customer_id,
        ordered_at: toMs(o.ordered_at),
        category: o.category,
        quantity: o.quantity,
        unit_price: o.unit_price,
        discount: o.discount,
        margin: o.margin,
        status: o.status,
      });
    }
    for (const e of h.events ?? []) events.push({ customer_id, occurred_at: toMs(e.occurred_at) });
    for (const r of h.responses ?? []) {
      const channel = channelSchema.safeParse(r.channel);
      if (channel.success) {
        responses.push({ message_id: r.message_id, customer_id, channel: channel.data, type: r.type, occurred_at: toMs(r.occurred_at) });
      }
    }
  }
  return { customers, orders, events, responses };
}

/**
 * With a loader and a clock the agent names customers only; the clock gives asOf. Without them the
 * agent passes full (JSON) histories.
 */
export function createFeaturesTool(deps: FeaturesToolDeps = {}): StructuredToolInterface {
  const { loadHistories, clock } = deps;
  if (loadHistories && clock) {
    const schema = z.object({ customerIds: z.array(customerIdField).min(1).max(1000) });
    return toLangChainTool(featuresToolDefinition, {
      schema,
      adapt: async ({ customerIds }: z.infer<typeof schema>): Promise<FeaturesInput> => ({
        asOf: clock.now().toISOString(),
        ...historiesToInput(await loadHistories(customerIds)),
        options: deps.options ?? {},
      }),
    });
  }
  const schema = featuresInputSchema.omit({ options: true });
  return toLangChainTool(featuresToolDefinition, {
    schema,
    adapt: (args: z.infer<typeof schema>): FeaturesInput => ({ ...args, options: deps.options ?? {} }),
  });
}
