import type pg from "pg";
import { CUSTOMER_SET_KIND, expandCustomerSet } from "./audit-sets.js";
import { queryable, type Db, type Queryable } from "./db.js";

/**
 * SQL for the append-only audit log (table audit_log, see 001-init.sql). Chaining (hashes) is done
 * by guardrails/audit.ts; this file only reads and writes rows.
 */

/** Anything that can run a query: the pool or a client inside a transaction. */
export interface AuditRow {
  seq: number;
  at: Date;
  kind: string;
  actor: string;
  cycleId: string | null;
  customerId: string | null;
  entry: unknown;
  prevHash: string;
  hash: string;
}

interface DbAuditRow {
  seq: number;
  at: Date;
  kind: string;
  actor: string;
  cycle_id: string | null;
  customer_id: string | null;
  entry: unknown;
  prev_hash: string;
  hash: string;
}

const COLUMNS = "seq, at, kind, actor, cycle_id, customer_id, entry, prev_hash, hash";

function toRow(r: DbAuditRow): AuditRow {
  return {
    seq: Number(r.seq),
    at: r.at,
    kind: r.kind,
    actor: r.actor,
    cycleId: r.cycle_id,
    customerId: r.customer_id,
    entry: r.entry,
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

/**
 * Takes the chain's writer lock until the surrounding transaction ends: every appender in every
 * process serialises here, so two writers never chain onto the same head. One lock per schema.
 */
export async function lockAuditChain(client: pg.PoolClient): Promise<void> {
  await client.query("SELECT pg_advisory_xact_lock(hashtext('pulse-audit:' || current_schema()))");
}

/** The last entry's seq and hash; read after lockAuditChain (READ COMMITTED sees the last committed head). */
export async function readAuditHead(client: Queryable): Promise<{ seq: number; hash: string } | undefined> {
  const { rows } = await client.query<{ seq: number; hash: string }>("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1");
  return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : undefined;
}

const INSERT_CHUNK = 5_000;

/**
 * Inserts rows with the seq values given (the caller holds the chain lock); one statement per chunk.
 * The chunk travels as one JSON document expanded by jsonb_to_recordset: an array parameter of JSON
 * texts costs the database an unescape and a parse per element, several times the time of one
 * document (seconds for a cycle's tens of thousands of entries on the embedded database).
 */
export async function insertAuditRows(client: pg.PoolClient, rows: readonly AuditRow[]): Promise<void> {
  for (let i = 0; i < rows.length; i += INSERT_CHUNK) {
    const chunk = rows.slice(i, i + INSERT_CHUNK);
    // Seq values are chosen under the lock (gap-free); the column's sequence is kept in step with them.
    await client.query(
      `WITH ins AS (
         INSERT INTO audit_log (${COLUMNS})
         SELECT r.seq, r.at, r.kind, r.actor, r.cycle_id, r.customer_id, r.entry, r.prev_hash, r.hash
         FROM jsonb_to_recordset($1::jsonb) AS r(seq bigint, at timestamptz, kind text, actor text, cycle_id text, customer_id text, entry jsonb, prev_hash text, hash text)
         RETURNING seq
       )
       SELECT setval(pg_get_serial_sequence('audit_log', 'seq'), max(seq)) FROM ins`,
      [
        JSON.stringify(
          chunk.map((r) => ({
            seq: r.seq,
            at: r.at.toISOString(),
            kind: r.kind,
            actor: r.actor,
            cycle_id: r.cycleId,
            customer_id: r.customerId,
            entry: r.entry,
            prev_hash: r.prevHash,
            hash: r.hash,
          })),
        ),
      ],
    );
  }
}

/** Up to `limit` entries with seq > afterSeq, in seq order, optionally only those with from <= at < to. */
export async function readAuditPage(db: Db, afterSeq: number, limit: number, range: { from?: Date; to?: Date } = {}): Promise<AuditRow[]> {
  const { rows } = await db.pool.query<DbAuditRow>(
    `SELECT ${COLUMNS} FROM audit_log
     WHERE seq > $1 AND ($2::timestamptz IS NULL OR at >= $2) AND ($3::timestamptz IS NULL OR at < $3)
     ORDER BY seq LIMIT $4`,
    [afterSeq, range.from?.toISOString() ?? null, range.to?.toISOString() ?? null, limit],
  );
  return rows.map(toRow);
}

/**
 * Every entry of a cycle (about a customer or not), optionally of some kinds only, in seq order; the
 * entries of customer sets (audit-sets.ts) one by one, as they were before packing.
 */
export async function readCycleLog(db: Db, cycleId: string, kinds?: readonly string[]): Promise<AuditRow[]> {
  const { rows } = await db.pool.query<DbAuditRow>(
    `SELECT ${COLUMNS} FROM audit_log
     WHERE cycle_id = $1 AND ($2::text[] IS NULL OR kind = ANY($2::text[]) OR (kind = $3 AND entry ->> 'of' = ANY($2::text[])))
     ORDER BY seq`,
    [cycleId, kinds ?? null, CUSTOMER_SET_KIND],
  );
  return rows.flatMap((r) => expandCustomerSet(toRow(r)));
}

/**
 * Whether the cycle's log already holds an entry of this kind whose entry contains `match` (JSON
 * containment): a step re-run after a crash uses it to audit its work once.
 */
export async function hasCycleEntry(db: Db, cycleId: string, kind: string, match: Record<string, unknown> = {}): Promise<boolean> {
  const { rows } = await db.pool.query<{ found: boolean }>(
    "SELECT EXISTS (SELECT 1 FROM audit_log WHERE cycle_id = $1 AND kind = $2 AND entry @> $3::jsonb) AS found",
    [cycleId, kind, JSON.stringify(match)],
  );
  return rows[0]!.found;
}

/** Every entry about one customer (optionally in one cycle), in seq order, the customer's own in the sets that hold it included. */
export async function readCustomerEntries(db: Db, customerId: string, cycleId?: string): Promise<AuditRow[]> {
  const { rows } = await db.pool.query<DbAuditRow>(
    `SELECT ${COLUMNS} FROM audit_log
     WHERE (customer_id = $1 OR (kind = $3 AND entry -> 'customers' @> jsonb_build_array($1::text)))
       AND ($2::text IS NULL OR cycle_id = $2)
     ORDER BY seq`,
    [customerId, cycleId ?? null, CUSTOMER_SET_KIND],
  );
  return rows.flatMap((r) => expandCustomerSet(toRow(r), customerId));
}

/** A cycle's entries that are about no one customer (plan, approval, cycle events), of the kinds given. */
export async function readCycleEntries(db: Db, cycleId: string, kinds: readonly string[]): Promise<AuditRow[]> {
  const { rows } = await db.pool.query<DbAuditRow>(
    `SELECT ${COLUMNS} FROM audit_log
     WHERE cycle_id = $1 AND customer_id IS NULL AND kind = ANY($2::text[])
     ORDER BY seq`,
    [cycleId, kinds],
  );
  return rows.map(toRow);
}

/** The stored hash of each of these entries (those that exist), for checking signed checkpoints. */
export async function readAuditHashes(db: Db, seqs: readonly number[]): Promise<Map<number, string>> {
  if (seqs.length === 0) return new Map();
  const { rows } = await db.pool.query<{ seq: number; hash: string }>("SELECT seq, hash FROM audit_log WHERE seq = ANY($1::bigint[])", [
    [...new Set(seqs)],
  ]);
  return new Map(rows.map((r) => [Number(r.seq), r.hash]));
}

/** The newest entry's seq, hash and time; undefined for an empty log. */
export async function readAuditHeadEntry(db: Db): Promise<{ seq: number; hash: string; at: Date } | undefined> {
  const { rows } = await db.pool.query<{ seq: number; hash: string; at: Date }>(
    "SELECT seq, hash, at FROM audit_log ORDER BY seq DESC LIMIT 1",
  );
  return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash, at: rows[0].at } : undefined;
}

/** How many rows the audit log holds (a customer set is one row however many entries it holds). */
export async function countAuditRows(db: Db | Queryable): Promise<number> {
  const { rows } = await queryable(db).query<{ n: string }>("SELECT count(*)::bigint AS n FROM audit_log");
  return Number(rows[0]?.n ?? 0);
}
