import type { ORDER_STATUSES, RESPONSE_TYPES } from "./domain.js";

/**
 * One customer's history as Pulse reads it: what store/history-repo.ts loads and tools/features.ts
 * turns into features.
 */

/** Epoch ms, a Date, or an ISO 8601 string with an explicit offset (a string without one is read as local time by the platform). */
export type Timestamp = Date | number | string;

/** The columns features read; ingestion's CustomerRow, OrderLineRow, EventRow and ResponseRow fit as they are. */
export interface FeatureCustomer {
  customer_id: string;
  signup_at: Timestamp;
  timezone?: string;
}
export interface FeatureOrderLine {
  order_id: string;
  ordered_at: Timestamp;
  category: string;
  quantity: number;
  unit_price: number;
  discount?: number;
  margin?: number;
  status?: (typeof ORDER_STATUSES)[number];
}
export interface FeatureEvent {
  occurred_at: Timestamp;
}
export interface FeatureResponse {
  message_id: string;
  channel: string;
  type: (typeof RESPONSE_TYPES)[number];
  occurred_at: Timestamp;
}
/** One customer's history; rows may come in any order. */
export interface CustomerHistory {
  customer: FeatureCustomer;
  orders: readonly FeatureOrderLine[];
  events?: readonly FeatureEvent[];
  /** More events, by their times alone (epoch ms): what a loader hands over instead of an object per event. */
  eventTimes?: ArrayLike<number>;
  responses?: readonly FeatureResponse[];
}
