import { describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { channelSchema } from "../ingest/formats.js";
import {
  computeFeatureMatrix,
  createFeaturesTool,
  customerFeatures,
  DAY_MS,
  DEFAULT_FEATURE_OPTIONS,
  FEATURE_COUNT,
  FEATURE_NAMES,
  featureOptionsSchema,
  featureRecord,
  featuresOutputSchema,
  featuresToolDefinition,
  groupHistories,
  type CustomerHistory,
  type FeatureName,
} from "./features.js";

const asOf = Date.parse("2024-03-01T00:00:00Z");
const at = (iso: string) => new Date(iso);

/** A small history whose every feature is computed by hand below. */
const history: CustomerHistory = {
  customer: { customer_id: "c1", signup_at: at("2023-01-01T00:00:00Z"), timezone: "UTC" },
  orders: [
    {
      order_id: "o5",
      ordered_at: at("2023-12-12T10:00:00Z"),
      category: "books",
      quantity: 1,
      unit_price: 20,
      discount: 0,
      margin: 6,
      status: "completed",
    },
    {
      order_id: "o1",
      ordered_at: at("2024-01-01T10:00:00Z"),
      category: "electronics",
      quantity: 1,
      unit_price: 100,
      discount: 10,
      margin: 20,
      status: "completed",
    },
    {
      order_id: "o1",
      ordered_at: at("2024-01-01T10:00:00Z"),
      category: "grocery",
      quantity: 2,
      unit_price: 10,
      discount: 0,
      margin: 5,
      status: "completed",
    },
    {
      order_id: "o2",
      ordered_at: at("2024-01-21T10:00:00Z"),
      category: "apparel",
      quantity: 1,
      unit_price: 50,
      discount: 5,
      margin: 15,
      status: "completed",
    },
    {
      order_id: "o2",
      ordered_at: at("2024-01-21T10:00:00Z"),
      category: "apparel",
      quantity: 1,
      unit_price: 30,
      discount: 0,
      margin: 9,
      status: "returned",
    },
    {
      order_id: "o3",
      ordered_at: at("2024-02-10T10:00:00Z"),
      category: "grocery",
      quantity: 1,
      unit_price: 40,
      discount: 0,
      margin: 8,
      status: "completed",
    },
    {
      order_id: "o4",
      ordered_at: at("2024-02-20T10:00:00Z"),
      category: "home",
      quantity: 1,
      unit_price: 200,
      discount: 0,
      margin: 60,
      status: "cancelled",
    },
    // At asOf: the future, ignored.
    {
      order_id: "o6",
      ordered_at: at("2024-03-01T00:00:00Z"),
      category: "grocery",
      quantity: 1,
      unit_price: 1000,
      discount: 0,
      status: "completed",
    },
  ],
  events: [
    { occurred_at: at("2024-02-25T20:00:00Z") },
    { occurred_at: at("2024-02-26T03:00:00Z") },
    { occurred_at: at("2024-01-01T09:50:00Z") },
    { occurred_at: at("2024-03-02T12:00:00Z") },
  ],
  responses: [
    { message_id: "m1", channel: "email", type: "delivered", occurred_at: at("2024-02-01T09:00:00Z") },
    { message_id: "m1", channel: "email", type: "open", occurred_at: at("2024-02-01T12:00:00Z") },
    { message_id: "m1", channel: "email", type: "click", occurred_at: at("2024-02-01T12:05:00Z") },
    { message_id: "m2", channel: "email", type: "delivered", occurred_at: at("2024-02-15T09:00:00Z") },
    { message_id: "m3", channel: "email", type: "delivered", occurred_at: at("2024-02-25T09:00:00Z") },
    { message_id: "m4", channel: "email", type: "delivered", occurred_at: at("2024-02-28T09:00:00Z") },
    { message_id: "m4", channel: "email", type: "open", occurred_at: at("2024-03-01T01:00:00Z") }, // after asOf
    { message_id: "s1", channel: "sms", type: "delivered", occurred_at: at("2024-02-20T18:00:00Z") },
    { message_id: "s1", channel: "sms", type: "click", occurred_at: at("2024-02-20T18:30:00Z") },
    { message_id: "s1", channel: "sms", type: "conversion", occurred_at: at("2024-02-20T19:00:00Z") },
    { message_id: "s2", channel: "sms", type: "bounce", occurred_at: at("2024-02-26T18:00:00Z") },
    { message_id: "a1", channel: "in_app", type: "delivered", occurred_at: at("2024-01-10T12:00:00Z") },
  ],
};

function features(h: CustomerHistory, options = DEFAULT_FEATURE_OPTIONS): Record<FeatureName, number> {
  return featureRecord(customerFeatures(h, asOf, options));
}

describe("customerFeatures on a hand-made history", () => {
  const f = features(history);

  it("has one finite value per documented name", () => {
    expect(FEATURE_NAMES.length).toBe(FEATURE_COUNT);
    expect(new Set(FEATURE_NAMES).size).toBe(FEATURE_COUNT);
    for (const name of FEATURE_NAMES) expect(Number.isFinite(f[name]), name).toBe(true);
  });

  it("computes recency, frequency, monetary with a return, aov and tenure", () => {
    expect(f.recency_days).toBeCloseTo(19 + 14 / 24, 10); // last purchase 2024-02-10T10:00
    expect(f.frequency).toBe(4); // o5, o1, o2, o3; o4 cancelled, o6 at asOf
    // sales 20 + 110 + 75 + 40 = 245, minus the returned 30
    expect(f.monetary).toBeCloseTo(215, 10);
    expect(f.aov).toBeCloseTo(215 / 4, 10);
    expect(f.tenure_days).toBe(425);
    // A 70-day window starts 2023-12-22 and drops o5.
    const short = features(history, featureOptionsSchema.parse({ monetaryWindowDays: 70 }));
    expect(short.monetary).toBeCloseTo(195, 10);
  });

  it("computes inter-purchase time and the overdue ratio", () => {
    expect(f.mean_interpurchase_days).toBeCloseTo(20, 10); // 12-12 → 01-01 → 01-21 → 02-10
    expect(f.overdue_ratio).toBeCloseTo((19 + 14 / 24) / 20, 10);
  });

  it("computes discount share, return rate, margin rate and category shares", () => {
    expect(f.discount_share).toBeCloseTo(15 / 260, 12);
    expect(f.return_rate).toBeCloseTo(30 / 260, 12);
    expect(f.margin_rate).toBeCloseTo(54 / 215, 12);
    expect(f.share_books).toBeCloseTo(20 / 215, 12);
    expect(f.share_electronics).toBeCloseTo(90 / 215, 12);
    expect(f.share_grocery).toBeCloseTo(60 / 215, 12);
    expect(f.share_apparel).toBeCloseTo(45 / 215, 12);
    expect(f.share_home).toBe(0);
    const total = FEATURE_NAMES.filter((n) => n.startsWith("share_")).reduce((s, n) => s + f[n], 0);
    expect(total).toBeCloseTo(1, 12);
  });

  it("computes per-channel engagement rates with the prior", () => {
    // email: 4 exposures, 1 opened, 1 clicked; the open of m4 came after asOf.
    expect(f.open_rate_email).toBeCloseTo((1 + 2 * 0.2) / 6, 12);
    expect(f.click_rate_email).toBeCloseTo((1 + 2 * 0.05) / 6, 12);
    expect(f.conversion_rate_email).toBeCloseTo((0 + 2 * 0.02) / 6, 12);
    // sms: 1 exposure, clicked (counts as opened) and converted; the bounce is no exposure.
    expect(f.open_rate_sms).toBeCloseTo(1.4 / 3, 12);
    expect(f.click_rate_sms).toBeCloseTo(1.1 / 3, 12);
    expect(f.conversion_rate_sms).toBeCloseTo(1.04 / 3, 12);
    // push: never used → the prior itself, not 0/0.
    expect(f.open_rate_push).toBeCloseTo(0.2, 12);
    expect(f.click_rate_push).toBeCloseTo(0.05, 12);
    expect(f.conversion_rate_push).toBeCloseTo(0.02, 12);
    expect(f.open_rate_in_app).toBeCloseTo(0.4 / 3, 12);
    expect(f.days_since_engagement).toBeCloseTo(9 + 5 / 24, 10); // sms conversion 02-20 19:00
  });

  it("computes unanswered streaks and exposure windows", () => {
    expect(f.unanswered_streak_email).toBe(3); // m2, m3, m4 after the clicked m1
    expect(f.unanswered_streak_sms).toBe(0);
    expect(f.unanswered_streak_push).toBe(0);
    expect(f.unanswered_streak_in_app).toBe(1);
    expect(f.exposures_7d).toBe(2); // m3, m4
    expect(f.exposures_30d).toBe(5); // m1, m2, m3, m4, s1
    expect(f.events_30d).toBe(2);
  });

  it("computes the active day-part profile", () => {
    // 4 purchases at 10:00, events 20:00 / 03:00 / 09:50, engagement 12:00, 12:05, 18:30, 19:00
    expect(f.active_share_night).toBeCloseTo(1 / 11, 12);
    expect(f.active_share_morning).toBeCloseTo(5 / 11, 12);
    expect(f.active_share_afternoon).toBeCloseTo(2 / 11, 12);
    expect(f.active_share_evening).toBeCloseTo(3 / 11, 12);
  });

  it("reads day-parts in the customer's time zone", () => {
    const ny: CustomerHistory = {
      customer: { customer_id: "ny", signup_at: at("2023-01-01T00:00:00Z"), timezone: "America/New_York" },
      orders: [{ order_id: "x", ordered_at: at("2024-02-10T10:00:00Z"), category: "toys", quantity: 1, unit_price: 5 }],
    };
    expect(features(ny).active_share_night).toBe(1); // 05:00 in New York
    const utc = features(ny, featureOptionsSchema.parse({ useCustomerTimeZone: false }));
    expect(utc.active_share_morning).toBe(1);
  });

  it("handles a customer with no orders and no messages", () => {
    const g = features({ customer: { customer_id: "new", signup_at: at("2024-01-01T00:00:00Z") }, orders: [] });
    expect(g.tenure_days).toBe(60);
    expect(g.recency_days).toBe(60);
    expect(g.frequency).toBe(0);
    expect(g.monetary).toBe(0);
    expect(g.aov).toBe(0);
    expect(g.mean_interpurchase_days).toBe(60);
    expect(g.overdue_ratio).toBe(1);
    expect(g.days_since_engagement).toBe(60);
    expect(g.open_rate_email).toBeCloseTo(0.2, 12);
    expect(g.active_share_morning).toBe(0);
  });

  it("treats a refund line with negative quantity as a return", () => {
    const g = features({
      customer: { customer_id: "r", signup_at: at("2023-01-01T00:00:00Z") },
      orders: [
        { order_id: "a", ordered_at: at("2024-02-01T00:00:00Z"), category: "home", quantity: 2, unit_price: 50, status: "completed" },
        { order_id: "ra", ordered_at: at("2024-02-05T00:00:00Z"), category: "home", quantity: -1, unit_price: 50, status: "returned" },
      ],
    });
    expect(g.frequency).toBe(1);
    expect(g.monetary).toBe(50);
    expect(g.return_rate).toBe(0.5);
    expect(g.recency_days).toBe(29);
  });
});

describe("batch and tool", () => {
  it("computeFeatureMatrix streams any iterable and matches the single-customer function", () => {
    function* stream(): Generator<CustomerHistory> {
      for (let i = 0; i < 1500; i++) yield { ...history, customer: { ...history.customer, customer_id: `c${i}` } };
    }
    const m = computeFeatureMatrix(stream(), asOf);
    expect(m.customer_ids.length).toBe(1500);
    expect(m.values.length).toBe(1500 * FEATURE_COUNT);
    expect(Array.from(m.values.subarray(1499 * FEATURE_COUNT))).toEqual(Array.from(customerFeatures(history, asOf)));
  });

  it("groupHistories + the tool give the same vectors as the pure function", () => {
    const json = {
      asOf: "2024-03-01T00:00:00Z",
      customers: [{ customer_id: "c1", signup_at: "2023-01-01T00:00:00Z", timezone: "UTC" }],
      orders: history.orders.map((o) => ({ ...o, customer_id: "c1", ordered_at: (o.ordered_at as Date).toISOString() })),
      events: (history.events ?? []).map((e) => ({ customer_id: "c1", occurred_at: (e.occurred_at as Date).toISOString() })),
      responses: (history.responses ?? []).map((r) => ({
        ...r,
        channel: channelSchema.parse(r.channel),
        customer_id: "c1",
        occurred_at: (r.occurred_at as Date).getTime(),
      })),
    };
    const out = featuresToolDefinition.run(json);
    expect(out.customers[0].features).toEqual(features(history));
    const grouped = groupHistories({ ...json, customers: [...json.customers, { customer_id: "c2", signup_at: "2024-02-01T00:00:00Z" }] });
    expect(grouped.map((h) => h.orders.length)).toEqual([8, 0]);
  });

  it("createFeaturesTool with a loader and a clock takes customer ids only", async () => {
    const tool = createFeaturesTool({ loadHistories: async (ids) => ids.map(() => history), clock: new ManualClock(asOf) });
    const out = featuresOutputSchema.parse(JSON.parse(await tool.invoke({ customerIds: ["c1"] })));
    expect(out.customers[0].features.frequency).toBe(4);
    expect(out.customers[0].features.unanswered_streak_email).toBe(3);
  });

  it("createFeaturesTool without deps takes JSON histories", async () => {
    const tool = createFeaturesTool();
    const out = featuresOutputSchema.parse(
      JSON.parse(
        await tool.invoke({
          asOf: "2024-03-01T00:00:00Z",
          customers: [{ customer_id: "c9", signup_at: "2024-02-01T00:00:00Z" }],
          orders: [],
          events: [],
          responses: [],
        }),
      ),
    );
    expect(out.customers[0].features.tenure_days).toBe(29);
    expect(DAY_MS).toBe(86_400_000);
  });
});
