import type pg from "pg";
import type { Db } from "./db.js";

/** A table, or a table and the columns whose statistics the queries that follow need. */
export type AnalyzeTarget = string | { table: string; columns: readonly string[] };

const NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Refreshes the planner's statistics of tables a step has just bulk-written and a later query reads.
 * Neither PGlite (no autovacuum) nor a freshly loaded PostgreSQL table (autovacuum comes later) has
 * them, and without them the planner guesses row counts and may, for example, scan a whole table
 * once per customer. Cheap next to the writes it follows (ANALYZE samples at most 30,000 rows); with
 * columns named, only those are sampled (the row count is refreshed either way), which skips wide
 * jsonb and bytea columns no query filters on.
 */
export async function analyzeTables(db: Db | pg.PoolClient, targets: readonly AnalyzeTarget[]): Promise<void> {
  if (targets.length === 0) return;
  const parts = targets.map((t) => {
    const { table, columns } = typeof t === "string" ? { table: t, columns: [] as readonly string[] } : t;
    for (const name of [table, ...columns]) if (!NAME.test(name)) throw new Error(`analyzeTables: invalid name "${name}"`);
    return columns.length ? `${table} (${columns.join(", ")})` : table;
  });
  const runner = "pool" in db ? db.pool : db;
  // Unqualified names: the connection's search_path selects the schema, as for every other query.
  await runner.query(`ANALYZE ${parts.join(", ")}`);
}
