import { z } from "zod";
import { CHANNELS, INGEST_KINDS, ORDER_STATUSES, RESPONSE_TYPES, channelSchema, type Channel, type IngestKind } from "../core/domain.js";

/**
 * Pulse's ingestion formats: the columns of each kind of first-party file and the schema every row
 * must pass. CSV files carry these names in their header (any order, extra columns ignored);
 * JSONL files carry them as keys. The simulator writes exactly these formats.
 */

export { CHANNELS, INGEST_KINDS, ORDER_STATUSES, RESPONSE_TYPES, channelSchema, type Channel, type IngestKind };

export const PURPOSES = ["marketing", "transactional"] as const;
export const ORDER_CHANNELS = ["web", "app", "store"] as const;
export const LOYALTY_TIERS = ["none", "bronze", "silver", "gold", "platinum"] as const;
export const EVENT_TYPES = ["product_view", "search", "cart_add", "cart_remove", "app_session"] as const;
export const CATEGORIES = ["apparel", "beauty", "electronics", "grocery", "home", "sports", "toys", "books"] as const;

const blankToUndefined = (v: unknown) => (v === null || (typeof v === "string" && v.trim() === "") ? undefined : v);

/**
 * A column of a file row: how its raw value is coerced (trimmed, parsed), then the zod schema the
 * coerced value must pass. Each field is used two ways: `raw(field)` is one zod schema over the raw
 * value (for callers holding a single value), and `rowFormat` coerces a whole row first and then runs
 * one plain zod object over it, which keeps zod's checks and messages off its slow preprocess path.
 */
export interface Field<S extends z.ZodType = z.ZodType> {
  coerce: (v: unknown) => unknown;
  schema: S;
}
const field = <S extends z.ZodType>(coerce: (v: unknown) => unknown, schema: S): Field<S> => ({ coerce, schema });
const raw = <S extends z.ZodType>(f: Field<S>) => z.preprocess(f.coerce, f.schema);

const trimId = (v: unknown) => (typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : v);
const idSchema = z
  .string({ error: "missing" })
  .min(1, "missing")
  .max(128, "longer than 128 characters")
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

const COMPACT_DATE = /^(\d{4})(\d{2})(\d{2})$/;
const ISO_TIMESTAMP = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/;
const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const HAS_ZONE = /(Z|[+-]\d{2}:?\d{2})$/;

/** ISO 8601 (date-only means midnight UTC) or YYYYMMDD to a Date; an invalid one becomes an invalid Date. */
const CANONICAL = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

export function coerceTimestamp(v: unknown): unknown {
  if (v instanceof Date) return v;
  if (typeof v !== "string") return v;
  // The common case, what toISOString writes: one regex and one Date; a day that rolled over
  // (2024-02-30 became March 1st) is not a calendar date.
  if (CANONICAL.test(v)) {
    const d = new Date(v);
    return d.getUTCDate() === Number(v.slice(8, 10)) ? d : new Date(Number.NaN);
  }
  if (v.trim() === "") return v;
  const s = v.trim();
  const compact = COMPACT_DATE.exec(s);
  const iso = compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : s;
  if (!ISO_TIMESTAMP.test(iso)) return new Date(Number.NaN);
  // Date rolls 2024-02-30 over to March; a real calendar date must survive the round trip.
  const y = Number(iso.slice(0, 4));
  const m = Number(iso.slice(5, 7));
  const d = Number(iso.slice(8, 10));
  const day = new Date(Date.UTC(y, m - 1, d));
  if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return new Date(Number.NaN);
  const withZone = DATE_ONLY.test(iso) || HAS_ZONE.test(iso) ? iso : `${iso}Z`;
  return new Date(withZone.replace(" ", "T"));
}
const timestampSchema = z
  .date({ error: (issue) => (issue.input === undefined ? "missing" : `unparsable date`) })
  .refine((d) => !Number.isNaN(d.getTime()), "unparsable date");

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
/** Plain decimal notation to a number; anything else becomes NaN, blank becomes missing. */
export function coerceNumber(v: unknown): unknown {
  const b = blankToUndefined(v);
  if (typeof b !== "string") return b;
  return DECIMAL.test(b.trim()) ? Number(b) : Number.NaN;
}
const numberSchema = z
  .number({ error: (issue) => (issue.input === undefined ? "missing" : "not a number") })
  .refine(Number.isFinite, "not a finite number");

const lower = (v: unknown) => (typeof v === "string" ? v.trim().toLowerCase() : v);
const enumSchema = <T extends readonly [string, ...string[]]>(values: T) =>
  z.enum(values, {
    error: (issue) => (issue.input === undefined || issue.input === "" ? "missing" : `unknown value, expected one of ${values.join(", ")}`),
  });
const lowerOrBlank = (v: unknown) => lower(blankToUndefined(v));

const idF = field(trimId, idSchema);
const timestampF = field(coerceTimestamp, timestampSchema);
const numberF = field(coerceNumber, numberSchema);
const enumF = <T extends readonly [string, ...string[]]>(values: T) => field(lower, enumSchema(values));
const optionalTextF = (max = 256) => field(blankToUndefined, z.string().max(max).optional());

/** Required identifier: non-empty, trimmed, printable, at most 128 characters. */
export const idField = raw(idF);
/** A timestamp: ISO 8601 (date-only means midnight UTC) or YYYYMMDD. */
export const timestampField = raw(timestampF);
/** A finite number written in plain decimal notation. */
export const numberField = raw(numberF);

const validZones = new Set<string>();
function isTimeZone(tz: string): boolean {
  if (validZones.has(tz)) return true;
  try {
    new Intl.DateTimeFormat("en", { timeZone: tz });
  } catch {
    return false;
  }
  if (validZones.size < 1000) validZones.add(tz);
  return true;
}

type FieldMap = Record<string, Field>;
type TypedShape<F extends FieldMap> = { [K in keyof F]: F[K]["schema"] };
type RowRefinement<F extends FieldMap> = (row: z.output<z.ZodObject<TypedShape<F>>>, ctx: z.RefinementCtx) => void;

/** A kind's row format: the typed zod object over coerced values, the raw schema, and the fast parse. */
export interface RowFormat<T> {
  /** One zod schema over raw values (coercion included); the slower general entry point. */
  schema: z.ZodType<T>;
  /** Coerces each column, then validates with a plain zod object: the ingestion path. */
  parse(values: Record<string, unknown>): z.ZodSafeParseResult<T>;
}

function rowFormat<F extends FieldMap>(fields: F, refine?: RowRefinement<F>): RowFormat<z.output<z.ZodObject<TypedShape<F>>>> {
  type Row = z.output<z.ZodObject<TypedShape<F>>>;
  const names = Object.keys(fields);
  const coercers = names.map((n) => fields[n]!.coerce);
  const typedShape = Object.fromEntries(names.map((n) => [n, fields[n]!.schema])) as TypedShape<F>;
  const rawShape = Object.fromEntries(names.map((n) => [n, raw(fields[n]!)]));
  const typed = refine ? z.object(typedShape).superRefine(refine) : z.object(typedShape);
  const rawSchema = refine ? z.object(rawShape).superRefine(refine as never) : z.object(rawShape);
  return {
    schema: rawSchema as unknown as z.ZodType<Row>,
    parse(values) {
      const coerced: Record<string, unknown> = {};
      for (let i = 0; i < names.length; i++) coerced[names[i]!] = coercers[i]!(values[names[i]!]);
      return typed.safeParse(coerced) as z.ZodSafeParseResult<Row>;
    },
  };
}

const customerFormat = rowFormat({
  customer_id: idF,
  /** SHA-256 of the normalized e-mail; a raw `email` column is hashed on ingestion and never stored. */
  email_hash: optionalTextF(64),
  phone_hash: optionalTextF(64),
  first_name: optionalTextF(64),
  region: optionalTextF(64),
  timezone: field(blankToUndefined, z.string().refine(isTimeZone, "unknown IANA time zone").default("UTC")),
  signup_at: timestampF,
  loyalty_tier: field(lowerOrBlank, enumSchema(LOYALTY_TIERS).default("none")),
  /** Kept only to measure fairness; never a model feature. */
  age_band: optionalTextF(16),
});
export const customerRowSchema = customerFormat.schema;
export type CustomerRow = z.infer<typeof customerRowSchema>;

const consentFormat = rowFormat({
  customer_id: idF,
  channel: enumF(CHANNELS),
  purpose: enumF(PURPOSES),
  status: enumF(["granted", "revoked"] as const),
  source: optionalTextF(64),
  recorded_at: timestampF,
});
export const consentRowSchema = consentFormat.schema;
export type ConsentRow = z.infer<typeof consentRowSchema>;

/** One row per order line; order header fields repeat on each line of the order. */
const orderLineFormat = rowFormat(
  {
    order_id: idF,
    line_no: field(coerceNumber, numberSchema.pipe(z.number().int("not a whole number").min(1, "must be at least 1"))),
    customer_id: idF,
    ordered_at: timestampF,
    channel: enumF(ORDER_CHANNELS),
    sku: optionalTextF(64),
    category: field(lower, z.string({ error: "missing" }).min(1, "missing").max(64)),
    quantity: field(coerceNumber, numberSchema.pipe(z.number().int("not a whole number"))),
    unit_price: numberF,
    discount: field(coerceNumber, numberSchema.pipe(z.number().min(0, "must not be negative")).default(0)),
    margin: field(coerceNumber, numberSchema.optional()),
    status: field(lowerOrBlank, enumSchema(ORDER_STATUSES).default("completed")),
  },
  (row, ctx) => {
    if (row.unit_price < 0 && row.status !== "returned") {
      ctx.addIssue({ code: "custom", path: ["unit_price"], message: "negative price on a line that is not a return" });
    }
    if (row.quantity <= 0 && row.status !== "returned") {
      ctx.addIssue({ code: "custom", path: ["quantity"], message: "quantity must be positive unless the line is a return" });
    }
  },
);
export const orderLineRowSchema = orderLineFormat.schema;
export type OrderLineRow = z.infer<typeof orderLineRowSchema>;

const eventFormat = rowFormat({
  event_id: idF,
  customer_id: idF,
  occurred_at: timestampF,
  type: enumF(EVENT_TYPES),
  category: optionalTextF(64),
  sku: optionalTextF(64),
});
export const eventRowSchema = eventFormat.schema;
export type EventRow = z.infer<typeof eventRowSchema>;

const responseFormat = rowFormat({
  message_id: idF,
  customer_id: idF,
  channel: enumF(CHANNELS),
  type: enumF(RESPONSE_TYPES),
  occurred_at: timestampF,
  campaign_id: optionalTextF(128),
  revenue: field(coerceNumber, numberSchema.optional()),
});
export const responseRowSchema = responseFormat.schema;
export type ResponseRow = z.infer<typeof responseRowSchema>;

const suppressionFormat = rowFormat({
  customer_id: idF,
  /** A channel, or "all". */
  channel: enumF([...CHANNELS, "all"] as const),
  reason: field(blankToUndefined, z.string().max(256).default("unspecified")),
  added_at: timestampF,
});
export const suppressionRowSchema = suppressionFormat.schema;
export type SuppressionRow = z.infer<typeof suppressionRowSchema>;

export interface KindFormat {
  /** Columns the header must name. */
  required: readonly string[];
  /** Every column Pulse reads, in the order the simulator writes them. */
  columns: readonly string[];
  schema: z.ZodType;
  /** The fast path of `schema`: same result, for a row of raw values. */
  parse(values: Record<string, unknown>): z.ZodSafeParseResult<unknown>;
}

export const FORMATS: Record<IngestKind, KindFormat> = {
  customers: {
    required: ["customer_id", "signup_at"],
    columns: ["customer_id", "email_hash", "phone_hash", "first_name", "region", "timezone", "signup_at", "loyalty_tier", "age_band"],
    schema: customerFormat.schema,
    parse: customerFormat.parse,
  },
  consents: {
    required: ["customer_id", "channel", "purpose", "status", "recorded_at"],
    columns: ["customer_id", "channel", "purpose", "status", "source", "recorded_at"],
    schema: consentFormat.schema,
    parse: consentFormat.parse,
  },
  orders: {
    required: ["order_id", "line_no", "customer_id", "ordered_at", "channel", "category", "quantity", "unit_price"],
    columns: [
      "order_id",
      "line_no",
      "customer_id",
      "ordered_at",
      "channel",
      "sku",
      "category",
      "quantity",
      "unit_price",
      "discount",
      "margin",
      "status",
    ],
    schema: orderLineFormat.schema,
    parse: orderLineFormat.parse,
  },
  events: {
    required: ["event_id", "customer_id", "occurred_at", "type"],
    columns: ["event_id", "customer_id", "occurred_at", "type", "category", "sku"],
    schema: eventFormat.schema,
    parse: eventFormat.parse,
  },
  responses: {
    required: ["message_id", "customer_id", "channel", "type", "occurred_at"],
    columns: ["message_id", "customer_id", "channel", "type", "occurred_at", "campaign_id", "revenue"],
    schema: responseFormat.schema,
    parse: responseFormat.parse,
  },
  suppressions: {
    required: ["customer_id", "channel", "added_at"],
    columns: ["customer_id", "channel", "reason", "added_at"],
    schema: suppressionFormat.schema,
    parse: suppressionFormat.parse,
  },
};
