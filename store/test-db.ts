import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { loadConfig } from "../core/config.js";
import { openDb, type Db, type OpenDbOptions } from "./db.js";
import { loadMigrations, migrate } from "./migrate.js";

/** Test support: a fresh, isolated database on the named back end, removed by `drop()`. */
export interface TestDb {
  db: Db;
  drop(): Promise<void>;
}

export const BACKENDS = ["postgres", "pglite"] as const;
export type Backend = (typeof BACKENDS)[number];

/** `migrateTo`: apply migrations up to this version only (tests of a migration's data conversion). */
export async function createTestDb(backend: Backend, options: { migrateTo?: number } = {}): Promise<TestDb> {
  const schema = `t_${randomBytes(6).toString("hex")}`;
  if (backend === "postgres") {
    const url = loadConfig().PULSE_TEST_DATABASE_URL;
    const db = await openAt({ databaseUrl: url, dataDir: "", schema }, options.migrateTo);
    return {
      db,
      async drop() {
        await db.close();
        const admin = new pg.Client({ connectionString: url });
        await admin.connect();
        await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await admin.end();
      },
    };
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), "pulse-test-"));
  const db = await openAt({ dataDir, schema }, options.migrateTo);
  return {
    db,
    async drop() {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function openAt(options: OpenDbOptions, version: number | undefined): Promise<Db> {
  if (version === undefined) return openDb(options);
  const db = await openDb({ ...options, migrate: false });
  await migrate(
    db,
    loadMigrations().filter((m) => m.version <= version),
  );
  return db;
}
