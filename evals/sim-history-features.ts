import type { EventRow, OrderLineRow, ResponseRow } from "../ingest/formats.js";
import type { SimSink } from "../sim/sink.js";
import { World } from "../sim/world.js";
import { resolveWorldParams } from "../sim/world-params.js";
import {
  DAY_MS,
  FEATURE_COUNT,
  customerFeatures,
  type CustomerHistory,
  type FeatureEvent,
  type FeatureOrderLine,
  type FeatureResponse,
} from "../tools/features.js";

/**
 * A simulated world built in memory, with every customer's feature vectors computed while the
 * history is simulated: the world replays one customer at a time, a sink buffers that customer's
 * rows, and the `afterCustomer` hook turns them into feature rows (as of the end of history and as
 * of a churn cutoff before it) and drops them. Nothing is written to disk and memory stays at the
 * feature matrices, so 50,000 customers fit easily.
 *
 * The rows are the ones generateWorld writes to CSV (same seeded engine, same sink calls); only the
 * customer row is taken from the profile's observable fields (id, signup, time zone).
 */

export interface SimHistoryFeatures {
  world: World;
  ids: string[];
  /** Row-major ids.length × FEATURE_COUNT, as of the end of history (world.now at creation). */
  featuresNow: Float64Array;
  /** The same as of `cutoff` = end of history − churnHorizonDays. */
  featuresAtCutoff: Float64Array;
  cutoff: number;
  historyEnd: number;
  /** Extra snapshots: days before the end of history → row-major features as of then. */
  snapshots: Map<number, Float64Array>;
  /** 1 when the customer completed a purchase before the cutoff (the churn population). */
  boughtBeforeCutoff: Uint8Array;
  /** 1 when the customer completed a purchase in [cutoff, end of history). */
  boughtAfterCutoff: Uint8Array;
  elapsedMs: number;
}

class CustomerBuffer implements SimSink {
  orders: FeatureOrderLine[] = [];
  events: FeatureEvent[] = [];
  responses: FeatureResponse[] = [];

  order(
    orderSeq: number,
    _lineNo: number,
    customerId: string,
    at: number,
    _channel: OrderLineRow["channel"],
    _sku: string,
    category: string,
    quantity: number,
    unitPrice: number,
    discount: number,
    margin: number,
    status: OrderLineRow["status"],
  ): void {
    this.orders.push({
      order_id: `${customerId}-O${orderSeq}`,
      ordered_at: at,
      category,
      quantity,
      unit_price: unitPrice,
      discount: Number.isNaN(discount) ? undefined : discount,
      margin: Number.isNaN(margin) ? undefined : margin,
      status,
    });
  }

  event(_eventSeq: number, _customerId: string, at: number, _type: EventRow["type"]): void {
    this.events.push({ occurred_at: at });
  }

  response(messageId: string, _customerId: string, channel: ResponseRow["channel"], type: ResponseRow["type"], at: number): void {
    this.responses.push({ message_id: messageId, channel, type, occurred_at: at });
  }

  consent(): void {}

  clear(): void {
    this.orders = [];
    this.events = [];
    this.responses = [];
  }
}

export interface SimulateWithFeaturesOptions {
  customers: number;
  seed: number;
  /** Churn cutoff = end of history minus this. Default 90. */
  churnHorizonDays?: number;
  months?: number;
  /** Extra feature snapshots, in days before the end of history. */
  snapshotDaysBeforeEnd?: readonly number[];
}

export async function simulateWithFeatures(options: SimulateWithFeaturesOptions): Promise<SimHistoryFeatures> {
  const started = performance.now();
  const input = { customers: options.customers, seed: options.seed, ...(options.months === undefined ? {} : { months: options.months }) };
  const params = resolveWorldParams(input);
  const n = params.customers;
  const historyEnd = params.historyEnd;
  const cutoff = historyEnd - (options.churnHorizonDays ?? 90) * DAY_MS;
  const featuresNow = new Float64Array(n * FEATURE_COUNT);
  const featuresAtCutoff = new Float64Array(n * FEATURE_COUNT);
  const boughtBeforeCutoff = new Uint8Array(n);
  const boughtAfterCutoff = new Uint8Array(n);
  const ids: string[] = new Array<string>(n);
  const snapshots = new Map<number, Float64Array>(
    (options.snapshotDaysBeforeEnd ?? []).map((days) => [days, new Float64Array(n * FEATURE_COUNT)]),
  );
  const buffer = new CustomerBuffer();
  const world = await World.create(input, {
    history: {
      sink: buffer,
      afterCustomer: (p) => {
        const i = p.index;
        ids[i] = p.customerId;
        const history: CustomerHistory = {
          customer: { customer_id: p.customerId, signup_at: p.signupAt, timezone: p.timezone },
          orders: buffer.orders,
          events: buffer.events,
          responses: buffer.responses,
        };
        customerFeatures(history, historyEnd, undefined, featuresNow, i * FEATURE_COUNT);
        customerFeatures(history, cutoff, undefined, featuresAtCutoff, i * FEATURE_COUNT);
        for (const [days, out] of snapshots) customerFeatures(history, historyEnd - days * DAY_MS, undefined, out, i * FEATURE_COUNT);
        for (const o of buffer.orders) {
          if (o.status !== "completed") continue;
          const t = o.ordered_at as number;
          if (t < cutoff) boughtBeforeCutoff[i] = 1;
          else if (t < historyEnd) boughtAfterCutoff[i] = 1;
        }
        buffer.clear();
      },
    },
  });
  return {
    world,
    ids,
    featuresNow,
    featuresAtCutoff,
    cutoff,
    historyEnd,
    snapshots,
    boughtBeforeCutoff,
    boughtAfterCutoff,
    elapsedMs: performance.now() - started,
  };
}
