import type { ConsentRow, EventRow, OrderLineRow, ResponseRow } from "../ingest/formats.js";

/**
 * Where the engine reports what happened. Arguments are primitives so the history writer can format
 * CSV lines without building row objects; `""` and NaN mean "no value".
 */
export interface SimSink {
  /** The order id is `${customerId}-O${orderSeq}`; the sink composes it. */
  order(
    orderSeq: number,
    lineNo: number,
    customerId: string,
    at: number,
    channel: OrderLineRow["channel"],
    sku: string,
    category: string,
    quantity: number,
    unitPrice: number,
    discount: number,
    margin: number,
    status: OrderLineRow["status"],
  ): void;
  /** The event id is `${customerId}-E${eventSeq}`; the sink composes it. */
  event(eventSeq: number, customerId: string, at: number, type: EventRow["type"], category: string, sku: string): void;
  response(
    messageId: string,
    customerId: string,
    channel: ResponseRow["channel"],
    type: ResponseRow["type"],
    at: number,
    campaignId: string,
    revenue: number,
  ): void;
  consent(
    customerId: string,
    channel: ConsentRow["channel"],
    purpose: ConsentRow["purpose"],
    status: ConsentRow["status"],
    source: string,
    at: number,
  ): void;
}

export const nullSink: SimSink = {
  order() {},
  event() {},
  response() {},
  consent() {},
};

/** Collects rows in the shapes of ingest/formats.ts (what the schemas output). */
export class RowSink implements SimSink {
  readonly orders: OrderLineRow[] = [];
  readonly events: EventRow[] = [];
  readonly responses: ResponseRow[] = [];
  readonly consents: ConsentRow[] = [];

  order(
    orderSeq: number,
    lineNo: number,
    customerId: string,
    at: number,
    channel: OrderLineRow["channel"],
    sku: string,
    category: string,
    quantity: number,
    unitPrice: number,
    discount: number,
    margin: number,
    status: OrderLineRow["status"],
  ): void {
    this.orders.push({
      order_id: `${customerId}-O${orderSeq}`,
      line_no: lineNo,
      customer_id: customerId,
      ordered_at: new Date(at),
      channel,
      sku,
      category,
      quantity,
      unit_price: unitPrice,
      discount,
      margin,
      status,
    });
  }

  event(eventSeq: number, customerId: string, at: number, type: EventRow["type"], category: string, sku: string): void {
    this.events.push({
      event_id: `${customerId}-E${eventSeq}`,
      customer_id: customerId,
      occurred_at: new Date(at),
      type,
      category: category || undefined,
      sku: sku || undefined,
    });
  }

  response(
    messageId: string,
    customerId: string,
    channel: ResponseRow["channel"],
    type: ResponseRow["type"],
    at: number,
    campaignId: string,
    revenue: number,
  ): void {
    this.responses.push({
      message_id: messageId,
      customer_id: customerId,
      channel,
      type,
      occurred_at: new Date(at),
      campaign_id: campaignId || undefined,
      revenue: Number.isNaN(revenue) ? undefined : revenue,
    });
  }

  consent(
    customerId: string,
    channel: ConsentRow["channel"],
    purpose: ConsentRow["purpose"],
    status: ConsentRow["status"],
    source: string,
    at: number,
  ): void {
    this.consents.push({ customer_id: customerId, channel, purpose, status, source: source || undefined, recorded_at: new Date(at) });
  }
}
