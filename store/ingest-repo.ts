import type pg from "pg";
import type { IngestKind } from "../ingest/formats.js";
import type { Db } from "./db.js";

/** How one ingestion kind maps onto its table: key columns, data columns and their SQL types. */
interface TableSpec {
  table: string;
  key: readonly string[];
  columns: readonly (readonly [name: string, sqlType: string])[];
  /** Extra CTE that writes a parent table from the same input (order headers). */
  parent?: { table: string; key: string; columns: readonly string[] };
}

const SPECS: Record<IngestKind, TableSpec> = {
  customers: {
    table: "customers",
    key: ["customer_id"],
    columns: [
      ["customer_id", "text"],
      ["email_hash", "text"],
      ["phone_hash", "text"],
      ["first_name", "text"],
      ["region", "text"],
      ["timezone", "text"],
      ["signup_at", "timestamptz"],
      ["loyalty_tier", "text"],
      ["age_band", "text"],
    ],
  },
  consents: {
    table: "consents",
    key: ["customer_id", "channel", "purpose", "recorded_at"],
    columns: [
      ["customer_id", "text"],
      ["channel", "text"],
      ["purpose", "text"],
      ["recorded_at", "timestamptz"],
      ["status", "text"],
      ["source", "text"],
    ],
  },
  orders: {
    table: "order_lines",
    key: ["order_id", "line_no"],
    columns: [
      ["order_id", "text"],
      ["line_no", "integer"],
      ["customer_id", "text"],
      ["ordered_at", "timestamptz"],
      ["channel", "text"],
      ["sku", "text"],
      ["category", "text"],
      ["quantity", "integer"],
      ["unit_price", "numeric"],
      ["discount", "numeric"],
      ["margin", "numeric"],
      ["status", "text"],
    ],
    parent: { table: "orders", key: "order_id", columns: ["order_id", "customer_id", "ordered_at", "channel"] },
  },
  events: {
    table: "events",
    key: ["event_id"],
    columns: [
      ["event_id", "text"],
      ["customer_id", "text"],
      ["occurred_at", "timestamptz"],
      ["type", "text"],
      ["category", "text"],
      ["sku", "text"],
    ],
  },
  responses: {
    table: "message_responses",
    key: ["message_id", "type"],
    columns: [
      ["message_id", "text"],
      ["type", "text"],
      ["customer_id", "text"],
      ["channel", "text"],
      ["occurred_at", "timestamptz"],
      ["campaign_id", "text"],
      ["revenue", "numeric"],
    ],
  },
  suppressions: {
    table: "suppressions",
    key: ["customer_id", "channel"],
    columns: [
      ["customer_id", "text"],
      ["channel", "text"],
      ["reason", "text"],
      ["added_at", "timestamptz"],
    ],
  },
};

/** Columns of the child table (order_lines keeps only its own columns; headers go to orders). */
function ownColumns(spec: TableSpec): string[] {
  const parentOnly = new Set(spec.parent ? spec.parent.columns.filter((c) => c !== spec.parent!.key) : []);
  return spec.columns.map(([n]) => n).filter((n) => !parentOnly.has(n));
}

function buildUpsertSql(spec: TableSpec): string {
  const params = spec.columns.map(([, type], i) => `$${i + 3}::${type}[]`).join(", ");
  const names = spec.columns.map(([n]) => n).join(", ");
  const own = ownColumns(spec);
  const data = own.filter((c) => !spec.key.includes(c));
  const distinct = data.length
    ? `WHERE (${data.map((c) => `t.${c}`).join(", ")}) IS DISTINCT FROM (${data.map((c) => `excluded.${c}`).join(", ")})`
    : "";
  const onConflict = data.length
    ? `DO UPDATE SET ${data.map((c) => `${c} = excluded.${c}`).join(", ")}${spec.table === "customers" ? ", updated_at = now()" : ""} ${distinct}`
    : "DO NOTHING";
  const parent = spec.parent
    ? `, parent AS (
        INSERT INTO ${spec.parent.table} AS p (${spec.parent.columns.join(", ")})
        SELECT DISTINCT ON (${spec.parent.key}) ${spec.parent.columns.join(", ")} FROM input
        WHERE _key IN (SELECT key FROM fresh) ORDER BY ${spec.parent.key}
        ON CONFLICT (${spec.parent.key}) DO UPDATE SET ${spec.parent.columns
          .filter((c) => c !== spec.parent!.key)
          .map((c) => `${c} = excluded.${c}`)
          .join(", ")}
        WHERE (${spec.parent.columns.map((c) => `p.${c}`).join(", ")}) IS DISTINCT FROM (${spec.parent.columns.map((c) => `excluded.${c}`).join(", ")})
        RETURNING 1)`
    : "";
  return `
    WITH input AS (SELECT * FROM unnest($2::text[], ${params}) AS u(_key, ${names})),
    fresh AS (
      INSERT INTO ingest_seen (load_id, key) SELECT $1, _key FROM input
      ON CONFLICT DO NOTHING RETURNING key),
    up AS (
      INSERT INTO ${spec.table} AS t (${own.join(", ")})
      SELECT ${own.join(", ")} FROM input WHERE _key IN (SELECT key FROM fresh)
      ON CONFLICT (${spec.key.join(", ")}) ${onConflict}
      RETURNING (xmax = 0) AS inserted)${parent}
    SELECT
      (SELECT count(*) FROM up WHERE inserted)::int AS inserted,
      (SELECT count(*) FROM up WHERE NOT inserted)::int AS updated,
      ${spec.parent ? "(SELECT count(*) FROM parent)::int" : "0"} AS parents_written,
      (SELECT coalesce(array_agg(_key), '{}') FROM input WHERE _key NOT IN (SELECT key FROM fresh)) AS duplicates`;
}

const SQL: Record<IngestKind, string> = Object.fromEntries(
  (Object.keys(SPECS) as IngestKind[]).map((k) => [k, buildUpsertSql(SPECS[k])]),
) as Record<IngestKind, string>;

export function keyOf(kind: IngestKind, row: Record<string, unknown>): string {
  return SPECS[kind].key.map((k) => toSqlText(row[k])).join("\u001f");
}

function toSqlText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

export interface BatchResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Keys already seen earlier in this load: their lines are duplicates. */
  duplicateKeys: Set<string>;
}

/**
 * Writes one batch of validated rows (unique keys within the batch) in a single statement.
 * Rows whose key this load has already written come back as duplicates and are not written.
 */
export async function upsertBatch(
  db: Db | pg.PoolClient,
  kind: IngestKind,
  loadId: number,
  rows: readonly Record<string, unknown>[],
): Promise<BatchResult> {
  const spec = SPECS[kind];
  const keys = rows.map((r) => keyOf(kind, r));
  const columns = spec.columns.map(([name]) => rows.map((r) => toSqlText(r[name])));
  const runner = "pool" in db ? db.pool : db;
  const { rows: out } = await runner.query<{ inserted: number; updated: number; duplicates: string[] }>(SQL[kind], [
    loadId,
    keys,
    ...columns,
  ]);
  const r = out[0]!;
  const duplicateKeys = new Set(r.duplicates);
  return {
    inserted: r.inserted,
    updated: r.updated,
    unchanged: rows.length - duplicateKeys.size - r.inserted - r.updated,
    duplicateKeys,
  };
}

export interface QuarantineRow {
  lineNo: number;
  raw: string;
  reason: string;
}

export async function quarantine(db: Db, loadId: number, kind: string, fileName: string, rows: readonly QuarantineRow[]): Promise<void> {
  if (rows.length === 0) return;
  await db.pool.query(
    `INSERT INTO ingest_quarantine (load_id, kind, file_name, line_no, raw, reason)
     SELECT $1, $2, $3, * FROM unnest($4::bigint[], $5::text[], $6::text[])
     ON CONFLICT (kind, file_name, line_no, md5(raw)) DO NOTHING`,
    [loadId, kind, fileName, rows.map((r) => r.lineNo), rows.map((r) => r.raw.replaceAll("\u0000", "\\0")), rows.map((r) => r.reason)],
  );
}

export async function startLoad(db: Db, kind: string, fileName: string, format: string): Promise<number> {
  const { rows } = await db.pool.query<{ load_id: number }>(
    "INSERT INTO ingest_loads (kind, file_name, format) VALUES ($1, $2, $3) RETURNING load_id",
    [kind, fileName, format],
  );
  return rows[0]!.load_id;
}

export interface LoadCounts {
  rowsRead: number;
  inserted: number;
  updated: number;
  unchanged: number;
  quarantined: number;
}

export async function finishLoad(db: Db, loadId: number, status: "done" | "failed", c: LoadCounts): Promise<void> {
  await db.pool.query(
    `UPDATE ingest_loads SET finished_at = now(), status = $2, rows_read = $3, inserted = $4, updated = $5,
       unchanged = $6, quarantined = $7 WHERE load_id = $1`,
    [loadId, status, c.rowsRead, c.inserted, c.updated, c.unchanged, c.quarantined],
  );
  await db.pool.query("DELETE FROM ingest_seen WHERE load_id = $1", [loadId]);
}

export interface QuarantinedLine {
  loadId: number;
  kind: string;
  fileName: string;
  lineNo: number;
  raw: string;
  reason: string;
}

export async function listQuarantine(db: Db, filter: { loadId?: number; limit?: number } = {}): Promise<QuarantinedLine[]> {
  const { rows } = await db.pool.query<{ load_id: number; kind: string; file_name: string; line_no: number; raw: string; reason: string }>(
    `SELECT load_id, kind, file_name, line_no, raw, reason FROM ingest_quarantine
     WHERE ($1::bigint IS NULL OR load_id = $1) ORDER BY load_id, line_no LIMIT $2`,
    [filter.loadId ?? null, filter.limit ?? 1000],
  );
  return rows.map((r) => ({ loadId: r.load_id, kind: r.kind, fileName: r.file_name, lineNo: r.line_no, raw: r.raw, reason: r.reason }));
}

/** Row counts of the data tables, for summaries. */
export async function tableCounts(db: Db): Promise<Record<string, number>> {
  const tables = ["customers", "consents", "suppressions", "orders", "order_lines", "events", "message_responses", "messages", "ingest_quarantine"];
  const { rows } = await db.pool.query<Record<string, number>>(
    `SELECT ${tables.map((t) => `(SELECT count(*) FROM ${t})::bigint AS ${t}`).join(", ")}`,
  );
  return rows[0]!;
}
