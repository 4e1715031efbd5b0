import type pg from "pg";
import type { Db } from "./db.js";

/**
 * Refreshes the planner's statistics of tables a step has just bulk-written and a later query reads.
 * Neither PGlite (no autovacuum) nor a freshly loaded PostgreSQL table (autovacuum comes later) has
 * them, and without them the planner guesses row counts and may, for example, scan a whole table
 * once per customer. Cheap next to the writes it follows (ANALYZE samples at most 30,000 rows).
 */
export async function analyzeTables(db: Db | pg.PoolClient, tables: readonly string[]): Promise<void> {
  if (tables.length === 0) return;
  for (const t of tables) if (!/^[a-z_][a-z0-9_]{0,62}$/.test(t)) throw new Error(`analyzeTables: invalid table name "${t}"`);
  const runner = "pool" in db ? db.pool : db;
  // Unqualified names: the connection's search_path selects the schema, as for every other query.
  await runner.query(`ANALYZE ${tables.join(", ")}`);
}
