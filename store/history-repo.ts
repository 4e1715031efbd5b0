import type pg from "pg";
import type { CustomerHistory } from "../core/history.js";
import type { Db } from "./db.js";

export interface HistoryCustomer {
  customer_id: string;
  signup_at: Date;
  timezone: string;
  first_name: string | null;
  loyalty_tier: string;
  age_band: string | null;
  region: string | null;
}

export interface HistoryPage {
  customers: HistoryCustomer[];
  histories: LoadedHistory[];
}

/** One order line of a history; times are epoch milliseconds. */
export interface HistoryOrderLine {
  order_id: string;
  ordered_at: number;
  category: string;
  quantity: number;
  unit_price: number;
  discount: number;
  margin: number | undefined;
  status: "completed" | "returned" | "cancelled";
}
export interface HistoryResponse {
  message_id: string;
  channel: string;
  type: "delivered" | "open" | "click" | "conversion" | "unsubscribe" | "bounce";
  occurred_at: number;
}
export interface LoadedHistory extends CustomerHistory {
  customer: HistoryCustomer;
  orders: HistoryOrderLine[];
  /** The events' times (epoch ms), in no particular order: features read nothing else of an event. */
  eventTimes: Float64Array;
  responses: HistoryResponse[];
}

// Histories travel as one aggregated text value per customer and kind instead of one row per order
// line, event and response: millions of rows through the wire protocol (and a Date and an object
// per row on arrival) cost several times what the database spends finding them. Fields are split by
// ASCII unit separators and records by record separators, which identifiers and enum values never
// contain. A value that does (a category holding those control characters, say) shows as a record or
// field too many against the count of rows sent along, and the page is read again row by row: such
// data is read correctly, only slower, and cannot pass for extra rows.
const US = "\u001f";
const RS = "\u001e";
const epochMs = (column: string) => `round(date_part('epoch', ${column}) * 1000)::bigint`;

class PackedFormatError extends Error {}

/**
 * Reads a packed value's records field by field, in place (no array per record or value), and checks
 * that each record has exactly the fields read and that there are `count` records (the rows grouped).
 */
class PackedRecords {
  private pos = 0;
  private end = -1;
  private records = 0;
  constructor(
    private readonly text: string,
    private readonly count: number,
  ) {}

  /** Moves to the next record; false after the last one. */
  next(): boolean {
    if (this.end >= this.text.length) {
      // A separator inside a value shows as a record too many (or a field too many or few): caught here.
      if (this.records !== this.count) throw new PackedFormatError(`expected ${this.count} records, found ${this.records}`);
      return false;
    }
    this.pos = this.end + 1;
    const e = this.text.indexOf(RS, this.pos);
    this.end = e < 0 ? this.text.length : e;
    if (++this.records > this.count) throw new PackedFormatError(`expected ${this.count} records, found more`);
    return true;
  }

  /** The record's next field, not its last. */
  field(): string {
    const e = this.text.indexOf(US, this.pos);
    if (e < 0 || e > this.end) throw new PackedFormatError("a record with too few fields");
    const v = this.text.slice(this.pos, e);
    this.pos = e + 1;
    return v;
  }

  /** The record's last field. */
  last(): string {
    const e = this.text.indexOf(US, this.pos);
    if (e >= 0 && e < this.end) throw new PackedFormatError("a record with too many fields");
    return this.text.slice(this.pos, this.end);
  }
}

/** The records of a packed value (none for an empty one, which must then count none). */
function records(text: string | null, count: number): PackedRecords {
  if (!text && count !== 0) throw new PackedFormatError(`expected ${count} records, found none`);
  return new PackedRecords(text ?? "", text ? count : 0);
}

// Each history shares these strings instead of holding its own copy of the status or type.
const ORDER_STATUSES = new Map((["completed", "returned", "cancelled"] as const).map((v) => [v as string, v]));
const RESPONSE_TYPES = new Map(
  (["delivered", "open", "click", "conversion", "unsubscribe", "bounce"] as const).map((v) => [v as string, v]),
);

/** Memory for one page's grouping (hash aggregates of packed text) without spilling to disk. */
const HISTORY_WORK_MEM = "64MB";

/**
 * Streams customers with their orders, events and message responses from before `asOf`, a page of
 * customers at a time in id order (keyset pagination), so 1M customers never sit in memory at once.
 * Timestamps come as epoch milliseconds. The pages are read on one connection, in one read-only
 * transaction (one snapshot for all pages) whose work_mem fits a page's grouping (the default 4MB
 * made the order lines' hash aggregate spill to disk, a third of the query's time). That connection
 * is held until the last page is read or the reader stops: a reader must not wait on other queries
 * of the same pool meanwhile (the embedded database's pool has a single connection).
 */
export async function* loadHistories(
  db: Db,
  asOf: Date,
  options: { pageSize?: number; lookbackDays?: number } = {},
): AsyncGenerator<HistoryPage> {
  const pageSize = options.pageSize ?? 5000;
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new RangeError(`page size must be a positive integer, got ${pageSize}`);
  const since = new Date(asOf.getTime() - (options.lookbackDays ?? 730) * 86_400_000);
  const client = await db.pool.connect();
  // Queries queue here and go to the connection one after another (pg's client takes one at a time).
  let tail: Promise<unknown> = Promise.resolve();
  const query = <R extends pg.QueryResultRow>(sql: string, params: unknown[]) => {
    const p = tail.then(() => client.query<R>(sql, params));
    tail = p.catch(() => {});
    return p;
  };
  let open = false;
  try {
    await client.query(`BEGIN READ ONLY; SET LOCAL search_path TO "${db.schema}"; SET LOCAL work_mem = '${HISTORY_WORK_MEM}'`);
    open = true;
    // A page's statements go to the database as one simple-protocol message (values inlined as
    // literals), the next page's as soon as this page's results are in: the database works through a
    // whole page while this thread unpacks the one before and the reader derives its columns. Sent
    // one statement at a time, each next one went out only when this thread was free again.
    const customersSql = (after: string) =>
      `SELECT customer_id, signup_at, timezone, first_name, loyalty_tier, age_band, region FROM customers
       WHERE customer_id > ${client.escapeLiteral(after)} AND signup_at < ${timestamp(asOf)} ORDER BY customer_id LIMIT ${pageSize}`;
    const start = (customers: HistoryCustomer[]) => {
      const [first, last] = [customers[0]!.customer_id, customers.at(-1)!.customer_id];
      const window = {
        first: client.escapeLiteral(first),
        last: client.escapeLiteral(last),
        asOf: timestamp(asOf),
        since: timestamp(since),
      };
      const results = queryAll(`${packedSql(window)};\n${customersSql(last)}`);
      return { customers, range: [first, last, asOf, since], results };
    };
    const queryAll = (sql: string) => {
      const p = tail.then(() => client.query(sql) as unknown as Promise<pg.QueryResult[]>);
      tail = p.catch(() => {});
      return p;
    };
    const firstCustomers = (await queryAll(customersSql(""))) as unknown as pg.QueryResult<HistoryCustomer>;
    let page: ReturnType<typeof start> | undefined = firstCustomers.rows.length > 0 ? start(firstCustomers.rows) : undefined;
    while (page) {
      const byId = new Map<string, LoadedHistory>();
      for (const c of page.customers) byId.set(c.customer_id, { customer: c, orders: [], eventTimes: NO_EVENTS, responses: [] });
      const [orders, events, responses, next] = await page.results;
      const nextCustomers = next!.rows as HistoryCustomer[];
      const following = nextCustomers.length > 0 ? start(nextCustomers) : undefined;
      try {
        unpackOrders(byId, orders!.rows as PackedRow[]);
        unpackEvents(byId, events!.rows as { customer_id: string; packed: Buffer | null }[]);
        unpackResponses(byId, responses!.rows as PackedRow[]);
      } catch (err) {
        if (!(err instanceof PackedFormatError)) throw err;
        for (const h of byId.values()) {
          h.orders = [];
          h.eventTimes = NO_EVENTS;
          h.responses = [];
        }
        await loadRows(query, byId, page.range);
      }
      yield { customers: page.customers, histories: [...byId.values()] };
      page = following;
    }
  } finally {
    // Also when the consumer stops early: let what was queued finish before the connection goes back.
    await tail;
    if (open) await client.query("ROLLBACK").catch(() => {});
    client.release();
  }
}

type QueryFn = <R extends pg.QueryResultRow>(sql: string, params: unknown[]) => Promise<pg.QueryResult<R>>;

type PackedRow = { customer_id: string; packed: string | null; n: number };

/**
 * A page's order lines, looked up by order through order_lines' primary key. Joined plainly, the
 * planner hashes the page's orders and scans all of order_lines for each page (its estimate of a
 * lookup per order is high), so loading everyone read the table once per page: quadratic in the
 * customers. OFFSET 0 keeps the lateral subquery from being flattened back into that join.
 */
const LINES_OF_ORDER = `CROSS JOIN LATERAL (
         SELECT l.category, l.quantity, l.unit_price, l.discount, l.margin, l.status FROM order_lines l WHERE l.order_id = o.order_id OFFSET 0) l`;

const NO_EVENTS = new Float64Array(0);

/** Big-endian 8-byte integers (exact below 2^53) as doubles. */
function int64s(b: Buffer): Float64Array {
  const out = new Float64Array(b.length >> 3);
  for (let i = 0, at = 0; i < out.length; i++, at += 8) out[i] = b.readInt32BE(at) * 4294967296 + b.readUInt32BE(at + 4);
  return out;
}

/** A timestamp literal. */
const timestamp = (t: Date) => `'${t.toISOString()}'::timestamptz`;

/** A page's packed orders, events and responses: three statements, the window's bounds given as SQL literals. */
function packedSql(w: { first: string; last: string; asOf: string; since: string }): string {
  const sep = `E'\\x1f'`;
  const rsep = `E'\\x1e'`;
  const inWindow = (customer: string, at: string) =>
    `${customer} BETWEEN ${w.first} AND ${w.last} AND ${at} < ${w.asOf} AND ${at} >= ${w.since}`;
  return [
    `SELECT o.customer_id, string_agg(concat_ws(${sep}, ${epochMs("o.ordered_at")}, l.quantity, l.unit_price, l.discount, coalesce(l.margin::text, ''), l.status, o.order_id, l.category), ${rsep}) AS packed, count(*)::int AS n
     FROM orders o ${LINES_OF_ORDER}
     WHERE ${inWindow("o.customer_id", "o.ordered_at")}
     GROUP BY o.customer_id`,
    // Event times as 8-byte big-endian integers, one bytea per customer (hex on the wire, decoded natively).
    `SELECT customer_id, string_agg(int8send(${epochMs("occurred_at")}), ''::bytea) AS packed FROM events
     WHERE ${inWindow("customer_id", "occurred_at")}
     GROUP BY customer_id`,
    `SELECT customer_id, string_agg(concat_ws(${sep}, ${epochMs("occurred_at")}, channel, type, message_id), ${rsep}) AS packed, count(*)::int AS n FROM message_responses
     WHERE ${inWindow("customer_id", "occurred_at")}
     GROUP BY customer_id`,
  ].join(";\n");
}

function unpackOrders(byId: Map<string, LoadedHistory>, rows: readonly PackedRow[]): void {
  for (const row of rows) {
    const h = byId.get(row.customer_id);
    if (!h) continue;
    const r = records(row.packed, row.n);
    while (r.next()) {
      const at = Number(r.field());
      const quantity = Number(r.field());
      const unitPrice = Number(r.field());
      const discount = Number(r.field());
      const margin = r.field();
      const status = ORDER_STATUSES.get(r.field());
      const orderId = r.field();
      const category = r.last();
      if (status === undefined) throw new PackedFormatError("unexpected order status");
      h.orders.push({
        order_id: orderId,
        ordered_at: at,
        category,
        quantity,
        unit_price: unitPrice,
        discount,
        margin: margin === "" ? undefined : Number(margin),
        status,
      });
    }
  }
}

function unpackEvents(byId: Map<string, LoadedHistory>, rows: readonly { customer_id: string; packed: Buffer | null }[]): void {
  for (const r of rows) {
    const h = byId.get(r.customer_id);
    if (h && r.packed) h.eventTimes = int64s(r.packed);
  }
}

function unpackResponses(byId: Map<string, LoadedHistory>, rows: readonly PackedRow[]): void {
  for (const row of rows) {
    const h = byId.get(row.customer_id);
    if (!h) continue;
    const r = records(row.packed, row.n);
    while (r.next()) {
      const at = Number(r.field());
      const channel = r.field();
      const type = RESPONSE_TYPES.get(r.field());
      const messageId = r.last();
      if (type === undefined) throw new PackedFormatError("unexpected response type");
      h.responses.push({ message_id: messageId, channel, type, occurred_at: at });
    }
  }
}

/** The same histories one row per order line, event and response: the fallback for data the packed form cannot carry. */
async function loadRows(query: QueryFn, byId: Map<string, LoadedHistory>, range: unknown[]): Promise<void> {
  const [orders, events, responses] = await Promise.all([
    query<{
      customer_id: string;
      order_id: string;
      ordered_at: Date;
      category: string;
      quantity: number;
      unit_price: number;
      discount: number;
      margin: number | null;
      status: HistoryOrderLine["status"];
    }>(
      `SELECT o.customer_id, o.order_id, o.ordered_at, l.category, l.quantity, l.unit_price, l.discount, l.margin, l.status
       FROM orders o ${LINES_OF_ORDER}
       WHERE o.customer_id BETWEEN $1 AND $2 AND o.ordered_at < $3 AND o.ordered_at >= $4`,
      range,
    ),
    query<{ customer_id: string; occurred_at: Date }>(
      `SELECT customer_id, occurred_at FROM events WHERE customer_id BETWEEN $1 AND $2 AND occurred_at < $3 AND occurred_at >= $4`,
      range,
    ),
    query<{ customer_id: string; message_id: string; channel: string; type: HistoryResponse["type"]; occurred_at: Date }>(
      `SELECT customer_id, message_id, channel, type, occurred_at FROM message_responses
       WHERE customer_id BETWEEN $1 AND $2 AND occurred_at < $3 AND occurred_at >= $4`,
      range,
    ),
  ]);
  for (const o of orders.rows)
    byId.get(o.customer_id)?.orders.push({
      order_id: o.order_id,
      ordered_at: o.ordered_at.getTime(),
      category: o.category,
      quantity: o.quantity,
      unit_price: o.unit_price,
      discount: o.discount,
      margin: o.margin ?? undefined,
      status: o.status,
    });
  const times = new Map<string, number[]>();
  for (const e of events.rows) {
    let list = times.get(e.customer_id);
    if (!list) times.set(e.customer_id, (list = []));
    list.push(e.occurred_at.getTime());
  }
  for (const [id, list] of times) {
    const h = byId.get(id);
    if (h) h.eventTimes = Float64Array.from(list);
  }
  for (const r of responses.rows)
    byId
      .get(r.customer_id)
      ?.responses.push({ message_id: r.message_id, channel: r.channel, type: r.type, occurred_at: r.occurred_at.getTime() });
}

export interface ContactData {
  customerId: string;
  consents: { channel: string; purpose: string; status: string; recordedAt: Date; source: string | null }[];
  suppressions: { channel: string; reason: string; addedAt: Date }[];
  sends: { channel: string; at: Date }[];
  lastConversionAt: Date | null;
}

/** What eligibility needs per customer: consent history, suppressions, recent sends, last conversion. */
export async function loadContactData(
  db: Db,
  customerIds: readonly string[],
  asOf: Date,
  windowDays = 7,
): Promise<Map<string, ContactData>> {
  const out = new Map<string, ContactData>();
  for (const id of customerIds) out.set(id, { customerId: id, consents: [], suppressions: [], sends: [], lastConversionAt: null });
  if (customerIds.length === 0) return out;
  const since = new Date(asOf.getTime() - windowDays * 86_400_000);
  const [consents, suppressions, sends, conversions] = await Promise.all([
    db.pool.query<{ customer_id: string; channel: string; purpose: string; status: string; recorded_at: Date; source: string | null }>(
      "SELECT customer_id, channel, purpose, status, recorded_at, source FROM consents WHERE customer_id = ANY($1) AND recorded_at <= $2",
      [customerIds, asOf],
    ),
    db.pool.query<{ customer_id: string; channel: string; reason: string; added_at: Date }>(
      "SELECT customer_id, channel, reason, added_at FROM suppressions WHERE customer_id = ANY($1) AND added_at <= $2",
      [customerIds, asOf],
    ),
    db.pool.query<{ customer_id: string; channel: string; at: Date }>(
      `SELECT customer_id, channel, coalesce(sent_at, created_at) AS at FROM messages WHERE customer_id = ANY($1) AND coalesce(sent_at, created_at) >= $2
       UNION ALL
       SELECT customer_id, channel, occurred_at FROM message_responses WHERE customer_id = ANY($1) AND type = 'delivered' AND occurred_at >= $2 AND occurred_at <= $3`,
      [customerIds, since, asOf],
    ),
    db.pool.query<{ customer_id: string; at: Date }>(
      "SELECT customer_id, max(ordered_at) AS at FROM orders WHERE customer_id = ANY($1) AND ordered_at <= $2 GROUP BY customer_id",
      [customerIds, asOf],
    ),
  ]);
  for (const r of consents.rows)
    out
      .get(r.customer_id)
      ?.consents.push({ channel: r.channel, purpose: r.purpose, status: r.status, recordedAt: r.recorded_at, source: r.source });
  for (const r of suppressions.rows)
    out.get(r.customer_id)?.suppressions.push({ channel: r.channel, reason: r.reason, addedAt: r.added_at });
  for (const r of sends.rows) out.get(r.customer_id)?.sends.push({ channel: r.channel, at: r.at });
  for (const r of conversions.rows) {
    const c = out.get(r.customer_id);
    if (c) c.lastConversionAt = r.at;
  }
  return out;
}

/** Categories marked out of stock. */
export async function outOfStockCategories(db: Db): Promise<string[]> {
  const { rows } = await db.pool.query<{ category: string }>("SELECT category FROM inventory WHERE NOT in_stock ORDER BY category");
  return rows.map((r) => r.category);
}

/** Channels each customer has a granted marketing consent on, as of a time (latest record wins; ties go to revoked). */
export async function marketingConsents(db: Db, asOf: Date): Promise<Map<string, Set<string>>> {
  const { rows } = await db.pool.query<{ customer_id: string; channel: string }>(
    `SELECT customer_id, channel FROM (
       SELECT DISTINCT ON (customer_id, channel) customer_id, channel, status FROM consents
       WHERE purpose = 'marketing' AND recorded_at <= $1
       ORDER BY customer_id, channel, recorded_at DESC, status DESC) c
     WHERE status = 'granted'`,
    [asOf],
  );
  const out = new Map<string, Set<string>>();
  for (const r of rows) {
    let s = out.get(r.customer_id);
    if (!s) out.set(r.customer_id, (s = new Set()));
    s.add(r.channel);
  }
  return out;
}

export interface ConsentRecord {
  status: "granted" | "revoked";
  source: string | null;
  recordedAt: Date;
}

/**
 * The consent record in force for each (customer, channel) pair and a purpose at a time, in one
 * query: the latest record at or before `at`, a tie going to revoked. Keyed by
 * `${customerId}|${channel}`; pairs without a record are absent.
 */
export async function consentsInForce(
  db: Db,
  pairs: readonly { customerId: string; channel: string }[],
  purpose: string,
  at: Date,
): Promise<Map<string, ConsentRecord>> {
  if (pairs.length === 0) return new Map();
  const { rows } = await db.pool.query(
    `SELECT q.customer_id, q.channel, c.status, c.source, c.recorded_at
     FROM unnest($1::text[], $2::text[]) AS q(customer_id, channel)
     JOIN LATERAL (
       SELECT status, source, recorded_at FROM consents
       WHERE customer_id = q.customer_id AND channel = q.channel AND purpose = $3 AND recorded_at <= $4
       ORDER BY recorded_at DESC, status DESC LIMIT 1) c ON true`,
    [pairs.map((p) => p.customerId), pairs.map((p) => p.channel), purpose, at],
  );
  return new Map(rows.map((r) => [`${r.customer_id}|${r.channel}`, { status: r.status, source: r.source, recordedAt: r.recorded_at }]));
}
