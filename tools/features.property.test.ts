import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CATEGORIES, CHANNELS, ORDER_STATUSES, RESPONSE_TYPES } from "../ingest/formats.js";
import { customerFeatures, DAY_MS, type CustomerHistory, type FeatureOrderLine, type FeatureResponse } from "./features.js";

const asOf = Date.parse("2024-06-01T00:00:00Z");

// Small id pools so future rows collide with past orders and messages (a late open of an old message,
// a late line or refund of an old order): the cases a leak would hide in.
const orderId = fc.constantFrom("o0", "o1", "o2", "o3", "o4");
const messageId = fc.constantFrom("m0", "m1", "m2", "m3", "m4", "m5");
const past = fc.integer({ min: -500 * DAY_MS, max: -1 }).map((d) => asOf + d);
const future = fc
  .oneof(fc.constant(0), fc.integer({ min: 0, max: DAY_MS }), fc.integer({ min: 0, max: 200 * DAY_MS }))
  .map((d) => asOf + d);

const orderLine = (when: fc.Arbitrary<number>): fc.Arbitrary<FeatureOrderLine> =>
  fc.record({
    order_id: orderId,
    ordered_at: when,
    category: fc.constantFrom(...CATEGORIES, "garden"),
    quantity: fc.integer({ min: -2, max: 4 }),
    unit_price: fc.integer({ min: 0, max: 50_000 }).map((c) => c / 100),
    discount: fc.integer({ min: 0, max: 2_000 }).map((c) => c / 100),
    margin: fc.option(
      fc.integer({ min: -1_000, max: 10_000 }).map((c) => c / 100),
      { nil: undefined },
    ),
    status: fc.constantFrom(...ORDER_STATUSES),
  });

const response = (when: fc.Arbitrary<number>): fc.Arbitrary<FeatureResponse> =>
  fc.record({
    message_id: messageId,
    channel: fc.constantFrom(...CHANNELS),
    type: fc.constantFrom(...RESPONSE_TYPES),
    occurred_at: when,
  });

const event = (when: fc.Arbitrary<number>) => fc.record({ occurred_at: when });

const history: fc.Arbitrary<CustomerHistory> = fc.record({
  customer: fc.record({
    customer_id: fc.constant("c"),
    signup_at: fc.integer({ min: -700 * DAY_MS, max: 30 * DAY_MS }).map((d) => asOf + d),
    timezone: fc.constantFrom(undefined, "UTC", "America/New_York", "Asia/Kolkata"),
  }),
  orders: fc.array(orderLine(past), { maxLength: 12 }),
  events: fc.array(event(past), { maxLength: 8 }),
  responses: fc.array(response(past), { maxLength: 16 }),
});

const laterRows = fc.record({
  orders: fc.array(orderLine(future), { maxLength: 8 }),
  events: fc.array(event(future), { maxLength: 6 }),
  responses: fc.array(response(future), { maxLength: 10 }),
});

/** Interleaves `extra` rows into `base` at arbitrary positions (loaders give no ordering guarantee). */
function interleave<T>(base: readonly T[], extra: readonly T[], positions: readonly number[]): T[] {
  const out = [...base];
  extra.forEach((row, i) => out.splice((positions[i] ?? 0) % (out.length + 1), 0, row));
  return out;
}

describe("features never read the future", () => {
  it("adding any rows at or after asOf never changes any feature", () => {
    fc.assert(
      fc.property(history, laterRows, fc.array(fc.nat(), { maxLength: 30 }), (h, later, positions) => {
        const before = Array.from(customerFeatures(h, asOf));
        const withFuture: CustomerHistory = {
          customer: h.customer,
          orders: interleave(h.orders, later.orders, positions),
          events: interleave(h.events ?? [], later.events, positions),
          responses: interleave(h.responses ?? [], later.responses, positions),
        };
        const after = Array.from(customerFeatures(withFuture, asOf));
        expect(after).toEqual(before);
        for (const v of before) expect(Number.isFinite(v)).toBe(true);
      }),
      { numRuns: 400 },
    );
  });

  it("a vector as of t equals the vector from the history truncated before t", () => {
    fc.assert(
      fc.property(history, fc.integer({ min: 1, max: 400 * DAY_MS }), (h, back) => {
        const t = asOf - back;
        const truncated: CustomerHistory = {
          customer: h.customer,
          orders: h.orders.filter((o) => (o.ordered_at as number) < t),
          events: (h.events ?? []).filter((e) => (e.occurred_at as number) < t),
          responses: (h.responses ?? []).filter((r) => (r.occurred_at as number) < t),
        };
        expect(Array.from(customerFeatures(h, t))).toEqual(Array.from(customerFeatures(truncated, t)));
      }),
      { numRuns: 200 },
    );
  });
});
