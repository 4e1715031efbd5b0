import { z } from "zod";

/**
 * Pulse's ingestion formats: the columns of each kind of first-party file and the schema every row
 * must pass. CSV files carry these names in their header (any order, extra columns ignored);
 * JSONL files carry them as keys. The simulator writes exactly these formats.
 */

export const CHANNELS = ["email", "sms", "push", "in_app"] as const;
export const channelSchema = z.enum(CHANNELS);
export type Channel = z.infer<typeof channelSchema>;

export const PURPOSES = ["marketing", "transactional"] as const;
export const ORDER_CHANNELS = ["web", "app", "store"] as const;
export const ORDER_STATUSES = ["completed", "returned", "cancelled"] as const;
export const LOYALTY_TIERS = ["none", "bronze", "silver", "gold", "platinum"] as const;
export const EVENT_TYPES = ["product_view", "search", "cart_add", "cart_remove", "app_session"] as const;
export const RESPONSE_TYPES = ["delivered", "open", "click", "conversion", "unsubscribe", "bounce"] as const;
export const CATEGORIES = [
  "apparel",
  "beauty",
  "electronics",
  "grocery",
  "home",
  "sports",
  "toys",
  "books",
] as const;

const blankToUndefined = (v: unknown) => (v === null || (typeof v === "string" && v.trim() === "") ? undefined : v);

/** Required identifier: non-empty, trimmed, printable, at most 128 characters. */
export const idField = z.preprocess(
  (v) => (typeof v === "number" ? String(v) : typeof v === "string" ? v.trim() : v),
  z
    .string({ error: "missing" })
    .min(1, "missing")
    .max(128, "longer than 128 characters")
    .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces"),
);

/** A timestamp: ISO 8601 (date-only means midnight UTC) or YYYYMMDD. */
export const timestampField = z.preprocess(
  (v) => {
    if (v instanceof Date) return v;
    if (typeof v !== "string" || v.trim() === "") return v;
    const s = v.trim();
    const compact = /^(\d{4})(\d{2})(\d{2})$/.exec(s);
    const iso = compact ? `${compact[1]}-${compact[2]}-${compact[3]}` : s;
    if (!/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(iso)) return new Date(Number.NaN);
    // Date rolls 2024-02-30 over to March; a real calendar date must survive the round trip.
    const [y, m, d] = iso.slice(0, 10).split("-").map(Number) as [number, number, number];
    const day = new Date(Date.UTC(y, m - 1, d));
    if (day.getUTCFullYear() !== y || day.getUTCMonth() !== m - 1 || day.getUTCDate() !== d) return new Date(Number.NaN);
    const withZone = /^\d{4}-\d{2}-\d{2}$/.test(iso) || /(Z|[+-]\d{2}:?\d{2})$/.test(iso) ? iso : `${iso}Z`;
    return new Date(withZone.replace(" ", "T"));
  },
  z.date({ error: (issue) => (issue.input === undefined ? "missing" : `unparsable date`) }).refine(
    (d) => !Number.isNaN(d.getTime()),
    "unparsable date",
  ),
);

/** A finite number written in plain decimal notation. */
export const numberField = z.preprocess(
  (v) => {
    const b = blankToUndefined(v);
    if (typeof b !== "string") return b;
    return /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(b.trim()) ? Number(b) : Number.NaN;
  },
  z.number({ error: (issue) => (issue.input === undefined ? "missing" : "not a number") }).refine(
    Number.isFinite,
    "not a finite number",
  ),
);

const optionalText = (max = 256) => z.preprocess(blankToUndefined, z.string().max(max).optional());
const enumField = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(
    (v) => (typeof v === "string" ? v.trim().toLowerCase() : v),
    z.enum(values, { error: (issue) => (issue.input === undefined || issue.input === "" ? "missing" : `unknown value, expected one of ${values.join(", ")}`) }),
  );
const optionalEnum = <T extends readonly [string, ...string[]]>(values: T) =>
  z.preprocess(blankToUndefined, enumField(values).optional());

export const customerRowSchema = z.object({
  customer_id: idField,
  /** SHA-256 of the normalized e-mail; a raw `email` column is hashed on ingestion and never stored. */
  email_hash: optionalText(64),
  phone_hash: optionalText(64),
  first_name: optionalText(64),
  region: optionalText(64),
  timezone: z.preprocess(
    blankToUndefined,
    z
      .string()
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat("en", { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, "unknown IANA time zone")
      .default("UTC"),
  ),
  signup_at: timestampField,
  loyalty_tier: z.preprocess(blankToUndefined, enumField(LOYALTY_TIERS).default("none")),
  /** Kept only to measure fairness; never a model feature. */
  age_band: optionalText(16),
});
export type CustomerRow = z.infer<typeof customerRowSchema>;

export const consentRowSchema = z.object({
  customer_id: idField,
  channel: enumField(CHANNELS),
  purpose: enumField(PURPOSES),
  status: enumField(["granted", "revoked"] as const),
  source: optionalText(64),
  recorded_at: timestampField,
});
export type ConsentRow = z.infer<typeof consentRowSchema>;

/** One row per order line; order header fields repeat on each line of the order. */
export const orderLineRowSchema = z
  .object({
    order_id: idField,
    line_no: numberField.pipe(z.number().int("not a whole number").min(1, "must be at least 1")),
    customer_id: idField,
    ordered_at: timestampField,
    channel: enumField(ORDER_CHANNELS),
    sku: optionalText(64),
    category: z.preprocess(
      (v) => (typeof v === "string" ? v.trim().toLowerCase() : v),
      z.string({ error: "missing" }).min(1, "missing").max(64),
    ),
    quantity: numberField.pipe(z.number().int("not a whole number")),
    unit_price: numberField,
    discount: z.preprocess(blankToUndefined, numberField.pipe(z.number().min(0, "must not be negative")).default(0)),
    margin: z.preprocess(blankToUndefined, numberField.optional()),
    status: z.preprocess(blankToUndefined, enumField(ORDER_STATUSES).default("completed")),
  })
  .superRefine((row, ctx) => {
    if (row.unit_price < 0 && row.status !== "returned") {
      ctx.addIssue({ code: "custom", path: ["unit_price"], message: "negative price on a line that is not a return" });
    }
    if (row.quantity <= 0 && row.status !== "returned") {
      ctx.addIssue({ code: "custom", path: ["quantity"], message: "quantity must be positive unless the line is a return" });
    }
  });
export type OrderLineRow = z.infer<typeof orderLineRowSchema>;

export const eventRowSchema = z.object({
  event_id: idField,
  customer_id: idField,
  occurred_at: timestampField,
  type: enumField(EVENT_TYPES),
  category: optionalText(64),
  sku: optionalText(64),
});
export type EventRow = z.infer<typeof eventRowSchema>;

export const responseRowSchema = z.object({
  message_id: idField,
  customer_id: idField,
  channel: enumField(CHANNELS),
  type: enumField(RESPONSE_TYPES),
  occurred_at: timestampField,
  campaign_id: optionalText(128),
  revenue: z.preprocess(blankToUndefined, numberField.optional()),
});
export type ResponseRow = z.infer<typeof responseRowSchema>;

export const suppressionRowSchema = z.object({
  customer_id: idField,
  /** A channel, or "all". */
  channel: enumField([...CHANNELS, "all"] as const),
  reason: z.preprocess(blankToUndefined, z.string().max(256).default("unspecified")),
  added_at: timestampField,
});
export type SuppressionRow = z.infer<typeof suppressionRowSchema>;

export const INGEST_KINDS = ["customers", "consents", "orders", "events", "responses", "suppressions"] as const;
export type IngestKind = (typeof INGEST_KINDS)[number];

export interface KindFormat {
  /** Columns the header must name. */
  required: readonly string[];
  /** Every column Pulse reads, in the order the simulator writes them. */
  columns: readonly string[];
  schema: z.ZodType;
}

export const FORMATS: Record<IngestKind, KindFormat> = {
  customers: {
    required: ["customer_id", "signup_at"],
    columns: ["customer_id", "email_hash", "phone_hash", "first_name", "region", "timezone", "signup_at", "loyalty_tier", "age_band"],
    schema: customerRowSchema,
  },
  consents: {
    required: ["customer_id", "channel", "purpose", "status", "recorded_at"],
    columns: ["customer_id", "channel", "purpose", "status", "source", "recorded_at"],
    schema: consentRowSchema,
  },
  orders: {
    required: ["order_id", "line_no", "customer_id", "ordered_at", "channel", "category", "quantity", "unit_price"],
    columns: ["order_id", "line_no", "customer_id", "ordered_at", "channel", "sku", "category", "quantity", "unit_price", "discount", "margin", "status"],
    schema: orderLineRowSchema,
  },
  events: {
    required: ["event_id", "customer_id", "occurred_at", "type"],
    columns: ["event_id", "customer_id", "occurred_at", "type", "category", "sku"],
    schema: eventRowSchema,
  },
  responses: {
    required: ["message_id", "customer_id", "channel", "type", "occurred_at"],
    columns: ["message_id", "customer_id", "channel", "type", "occurred_at", "campaign_id", "revenue"],
    schema: responseRowSchema,
  },
  suppressions: {
    required: ["customer_id", "channel", "added_at"],
    columns: ["customer_id", "channel", "reason", "added_at"],
    schema: suppressionRowSchema,
  },
};
