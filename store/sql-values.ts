import type pg from "pg";
import type { Db } from "./db.js";

/** Helpers the repos share for bulk writes. */

/**
 * For the rest of the caller's transaction, on the embedded database: no foreign-key checks, for
 * bulk rows that reference parent rows the same transaction has just written or checked (a score
 * run and its scores). There the per-row foreign-key triggers are most of an insert's time (three
 * quarters for a cycle's scores), and they can only re-confirm what the transaction established.
 * session_replication_role = replica turns off triggers (on these tables, only the foreign keys'),
 * nothing else: unique keys, NOT NULL and CHECK constraints still hold. PostgreSQL keeps its checks
 * (cheap there, and the setting needs a superuser).
 */
export async function skipReferenceChecks(db: Db, client: pg.PoolClient): Promise<void> {
  if (db.kind === "pglite") await client.query("SET LOCAL session_replication_role = replica");
}

/**
 * A float for a JSON document read by jsonb_to_recordset: JSON has no NaN or Infinity (JSON.stringify
 * would write null), so those travel as the strings float8's input accepts, as they did as parameters.
 */
export function jsonFloat(v: number | null | undefined): number | string | null {
  if (v === null || v === undefined) return null;
  return Number.isFinite(v) ? v : String(v);
}
