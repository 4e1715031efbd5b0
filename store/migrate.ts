import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { StoreError } from "../core/errors.js";
import type pg from "pg";

/** What migrating needs of a database: store/db.ts's Db fits. Declared here so that db.ts → migrate.ts is one-way (no import cycle). */
export interface MigrationTarget {
  readonly pool: Pick<pg.Pool, "query">;
  readonly schema: string;
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
}

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "migrations");

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}-[a-z0-9-]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const sql = readFileSync(path.join(dir, file), "utf8");
      return {
        version: Number(file.slice(0, 3)),
        name: file.replace(/\.sql$/, ""),
        sql,
        checksum: createHash("sha256").update(sql).digest("hex"),
      };
    });
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so processes starting at
 * the same time wait for each other instead of racing; an edited, already-applied migration is
 * refused rather than silently diverging.
 */
export async function migrate(db: MigrationTarget, migrations = loadMigrations()): Promise<{ applied: string[] }> {
  return db.transaction(async (client) => {
    await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`pulse-migrate:${db.schema}`]);
    await client.query(`CREATE SCHEMA IF NOT EXISTS "${db.schema}"`);
    await client.query(`SET LOCAL search_path TO "${db.schema}"`);
    await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY,
      name text NOT NULL,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query<{ version: number; name: string; checksum: string }>(
      "SELECT version, name, checksum FROM schema_migrations ORDER BY version",
    );
    const done = new Map(rows.map((r) => [r.version, r]));
    const applied: string[] = [];
    for (const m of migrations) {
      const prior = done.get(m.version);
      if (prior) {
        if (prior.checksum !== m.checksum) {
          throw new StoreError(`migration ${m.name} was changed after it was applied (checksum differs); add a new migration instead`);
        }
        continue;
      }
      await client.query(m.sql);
      await client.query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)", [m.version, m.name, m.checksum]);
      applied.push(m.name);
    }
    return { applied };
  });
}

/** The migrations applied to the database, in order. */
export async function appliedMigrations(db: MigrationTarget): Promise<{ version: number; name: string }[]> {
  const { rows } = await db.pool.query<{ version: number; name: string }>("SELECT version, name FROM schema_migrations ORDER BY version");
  return rows;
}
