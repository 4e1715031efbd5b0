import type { IngestKind } from "../core/domain.js";
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

const stageOf = (spec: TableSpec) => `pulse_stage_${spec.table}`;
/** Order headers of a batch on the direct path, one row per order. */
const headsOf = (spec: TableSpec) => `pulse_stage_${spec.parent!.table}`;

/**
 * One batch is staged with COPY into a temporary table, then merged by one statement:
 * - each staged row is looked up once by key, by an index probe (a LATERAL subquery with LIMIT 1, so
 *   the planner cannot turn it into a scan of the whole table, which a hash join would do per batch
 *   and which made reloads quadratic in the table's size): new keys are inserted (a plain insert: batches of one
 *   kind are serialised by an advisory lock, so no other load inserts the key meanwhile); known keys
 *   are updated only where a value differs, else counted unchanged;
 * - a key this load already wrote is a duplicate line and is not written: its row's xmin is one of the
 *   transaction ids the load recorded for its earlier batches (ingest_loads.xids), or, when the earlier
 *   line found the row unchanged and so wrote nothing, the key is in ingest_seen;
 * - order lines also write their order header (orders), once per order, the same way.
 */
function buildMergeSql(spec: TableSpec): string {
  const own = ownColumns(spec);
  const data = own.filter((c) => !spec.key.includes(c));
  const joinOn = (a: string, b: string, cols: readonly string[]) => cols.map((k) => `${a}.${k} = ${b}.${k}`).join(" AND ");
  const differs = (a: string, b: string, cols: readonly string[]) =>
    cols.length ? `(${cols.map((c) => `${a}.${c}`).join(", ")}) IS DISTINCT FROM (${cols.map((c) => `${b}.${c}`).join(", ")})` : "false";
  const update = (table: string, alias: string, cols: readonly string[], keyCols: readonly string[], from: string) =>
    `UPDATE ${table} ${alias} SET ${cols.map((c) => `${c} = c.${c}`).join(", ")}${table === "customers" ? ", updated_at = now()" : ""}
     FROM ${from} WHERE ${joinOn(alias, "c", keyCols)}`;
  const parent = spec.parent;
  const parentData = parent ? parent.columns.filter((c) => c !== parent.key) : [];
  const parentCtes = parent
    ? `,
    heads AS (
      SELECT DISTINCT ON (s.${parent.key}) ${parent.columns.map((c) => `s.${c}`).join(", ")},
             (p.found IS NOT NULL) AS known, ${differs("p", "s", parentData)} AS changed
      FROM s LEFT JOIN LATERAL (
        SELECT true AS found, ${parentData.map((c) => `p.${c}`).join(", ")} FROM ${parent.table} p WHERE p.${parent.key} = s.${parent.key} LIMIT 1) p ON true
      WHERE s._key NOT IN (SELECT _key FROM cls WHERE dup)
      ORDER BY s.${parent.key}),
    head_ins AS (
      INSERT INTO ${parent.table} (${parent.columns.join(", ")}) SELECT ${parent.columns.join(", ")} FROM heads WHERE NOT known RETURNING 1),
    head_upd AS (
      ${update(parent.table, "p", parentData, [parent.key], "heads c")} AND c.known AND c.changed RETURNING 1)`
    : "";
  return `
    WITH s AS (SELECT * FROM ${stageOf(spec)}),
    prior AS (SELECT xids FROM ingest_loads WHERE load_id = $1),
    mark AS (UPDATE ingest_loads SET xids = xids || (txid_current() % 4294967296) WHERE load_id = $1),
    cls AS (
      SELECT s.*, (t.found IS NOT NULL) AS known, ${differs("t", "s", data)} AS changed,
             t.found IS NOT NULL AND (t.xid IN (SELECT unnest(xids) FROM prior) OR n.seen IS NOT NULL) AS dup
      FROM s
      LEFT JOIN LATERAL (
        SELECT true AS found, t.xmin::text::bigint AS xid${data.map((c) => `, t.${c}`).join("")}
        FROM ${spec.table} t WHERE ${joinOn("t", "s", spec.key)} LIMIT 1) t ON true
      LEFT JOIN LATERAL (
        SELECT true AS seen FROM ingest_seen n WHERE t.found AND n.load_id = $1 AND n.key = s._key LIMIT 1) n ON true),
    ins AS (
      INSERT INTO ${spec.table} (${own.join(", ")}) SELECT ${own.join(", ")} FROM cls WHERE NOT known RETURNING 1),
    upd AS (
      ${data.length ? `${update(spec.table, "t", data, spec.key, "cls c")} AND c.known AND NOT c.dup AND c.changed RETURNING 1` : "SELECT 1 WHERE false"}),
    seen AS (
      INSERT INTO ingest_seen (load_id, key) SELECT $1, _key FROM cls WHERE known AND NOT dup AND NOT changed
      ON CONFLICT DO NOTHING)${parentCtes}
    SELECT
      (SELECT count(*) FROM ins)::int AS inserted,
      (SELECT count(*) FROM upd)::int AS updated,
      (SELECT coalesce(array_agg(_key), '{}') FROM cls WHERE dup) AS duplicates`;
}

/** The batch's setup in one round trip: lock, durability, and the session's staging table. */
function buildStageSql(spec: TableSpec, schema: string, path: "direct" | "merge"): string {
  // Batches of one kind merge one at a time, whichever load they belong to (see buildMergeSql). A
  // crash can lose the last batches' commits (synchronous_commit off), never half of one: the load
  // is then re-run. The staging tables live as long as the session and are emptied at each commit.
  const types = new Map(spec.columns);
  const lock = `SELECT pg_advisory_xact_lock(hashtext('pulse-ingest:${schema}.${spec.table}')); SET LOCAL synchronous_commit = off`;
  if (path === "direct" && !spec.parent) return lock;
  const heads = spec.parent
    ? `; CREATE TEMP TABLE IF NOT EXISTS ${headsOf(spec)} (${spec.parent.columns.map((c) => `${c} ${types.get(c)}`).join(", ")}) ON COMMIT DELETE ROWS`
    : "";
  if (path === "direct") return `${lock}${heads}`;
  return `${lock}; CREATE TEMP TABLE IF NOT EXISTS ${stageOf(spec)} (_key text NOT NULL, ${spec.columns.map(([n, t]) => `${n} ${t}`).join(", ")}) ON COMMIT DELETE ROWS`;
}

/**
 * The direct path, while a load meets no existing key: rows go straight into the table with COPY
 * (order lines through the staging table, since their headers are upserted from it). Any key that
 * exists already, from an earlier load or an earlier batch of this one, breaks the table's unique key:
 * the batch then rolls back to before the attempt and takes the merge path, as does the rest of the load.
 */
function buildDirectSql(spec: TableSpec): string {
  const mark = "UPDATE ingest_loads SET xids = xids || (txid_current() % 4294967296) WHERE load_id = $1";
  const parent = spec.parent;
  if (!parent) return mark;
  const data = parent.columns.filter((c) => c !== parent.key);
  return `
    WITH mark AS (${mark})
    INSERT INTO ${parent.table} AS p (${parent.columns.join(", ")})
    SELECT ${parent.columns.join(", ")} FROM ${headsOf(spec)}
    ON CONFLICT (${parent.key}) DO UPDATE SET ${data.map((c) => `${c} = excluded.${c}`).join(", ")}
    WHERE (${data.map((c) => `p.${c}`).join(", ")}) IS DISTINCT FROM (${data.map((c) => `excluded.${c}`).join(", ")})`;
}

interface KindSql {
  /** COPY target of the staging table. */
  stage: string;
  /** COPY target of the table itself. */
  direct: string;
  /** COPY target of the headers' staging table (kinds with a parent). */
  heads?: string;
  directSql: string;
  merge: string;
}

const SQL: Record<IngestKind, KindSql> = Object.fromEntries(
  (Object.keys(SPECS) as IngestKind[]).map((k) => {
    const spec = SPECS[k];
    return [
      k,
      {
        stage: `${stageOf(spec)} (_key, ${spec.columns.map(([n]) => n).join(", ")})`,
        direct: `${spec.table} (${ownColumns(spec).join(", ")})`,
        heads: spec.parent ? `${headsOf(spec)} (${spec.parent.columns.join(", ")})` : undefined,
        directSql: buildDirectSql(spec),
        merge: buildMergeSql(spec),
      },
    ];
  }),
) as Record<IngestKind, KindSql>;

export function keyOf(kind: IngestKind, row: Record<string, unknown>): string {
  return SPECS[kind].key.map((k) => toSqlText(row[k])).join("\u001f");
}

function toSqlText(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (v instanceof Date) return v.toISOString();
  return String(v);
}

const COPY_SPECIAL = /[\\\t\n\r]/;
const COPY_ESCAPES: Record<string, string> = { "\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r" };

/** One value in PostgreSQL's COPY text format. */
export function copyField(v: unknown): string {
  if (v === undefined || v === null) return "\\N";
  const s = v instanceof Date ? v.toISOString() : String(v);
  return COPY_SPECIAL.test(s) ? s.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!) : s;
}

export interface BatchResult {
  inserted: number;
  updated: number;
  unchanged: number;
  /** Keys already seen earlier in this load: their lines are duplicates. */
  duplicateKeys: Set<string>;
}

/** What a load has learnt about its batches: whether the direct path is still worth trying. */
export interface LoadWriteState {
  direct: boolean;
}

function copyText(
  rows: readonly Record<string, unknown>[],
  columns: readonly string[],
  key?: (r: Record<string, unknown>) => string,
): string {
  let text = "";
  for (const r of rows) {
    let line = key ? copyField(key(r)) : "";
    for (let i = 0; i < columns.length; i++) line += `${key || i > 0 ? "\t" : ""}${copyField(r[columns[i]!])}`;
    text += `${line}\n`;
  }
  return text;
}

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === "23505";

/**
 * Writes one batch of validated rows (unique keys within the batch) in one transaction: by the direct
 * path while the load has met no existing key (see buildDirectSql), else staged with COPY and merged
 * (see buildMergeSql). Rows whose key this load has already written come back as duplicates.
 */
export async function upsertBatch(
  db: Db,
  kind: IngestKind,
  loadId: number,
  rows: readonly Record<string, unknown>[],
  state: LoadWriteState = { direct: false },
): Promise<BatchResult> {
  const spec = SPECS[kind];
  const sql = SQL[kind];
  const stageText = () =>
    copyText(
      rows,
      spec.columns.map(([n]) => n),
      (r) => keyOf(kind, r),
    );
  // Rows written by a transaction carry its id as xmin, which the merge uses to tell duplicates:
  // so the direct attempt is a transaction of its own, not a savepoint (a subtransaction id).
  if (state.direct) {
    try {
      await db.bulkTransaction(
        async (session) => {
          await session.copyIn(sql.direct, copyText(rows, ownColumns(spec)));
          if (spec.parent && sql.heads) {
            const heads = new Map<unknown, Record<string, unknown>>();
            for (const r of rows) if (!heads.has(r[spec.parent.key])) heads.set(r[spec.parent.key], r);
            await session.copyIn(sql.heads, copyText([...heads.values()], spec.parent.columns));
          }
          await session.query(sql.directSql, [loadId]);
        },
        buildStageSql(spec, db.schema, "direct"),
      );
      return { inserted: rows.length, updated: 0, unchanged: 0, duplicateKeys: new Set() };
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      state.direct = false;
    }
  }
  const r = await db.bulkTransaction(
    async (session) => {
      await session.copyIn(sql.stage, stageText());
      const { rows: out } = await session.query<{ inserted: number; updated: number; duplicates: string[] }>(sql.merge, [loadId]);
      return out[0]!;
    },
    buildStageSql(spec, db.schema, "merge"),
  );
  const duplicateKeys = new Set(r.duplicates);
  return {
    inserted: r.inserted,
    updated: r.updated,
    unchanged: rows.length - duplicateKeys.size - r.inserted - r.updated,
    duplicateKeys,
  };
}

/** Tables a kind writes, for ANALYZE after a load. */
export function tablesOf(kind: IngestKind): string[] {
  const spec = SPECS[kind];
  return spec.parent ? [spec.table, spec.parent.table] : [spec.table];
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
  const tables = [
    "customers",
    "consents",
    "suppressions",
    "orders",
    "order_lines",
    "events",
    "message_responses",
    "messages",
    "ingest_quarantine",
  ];
  const { rows } = await db.pool.query<Record<string, number>>(
    `SELECT ${tables.map((t) => `(SELECT count(*) FROM ${t})::bigint AS ${t}`).join(", ")}`,
  );
  return rows[0]!;
}
