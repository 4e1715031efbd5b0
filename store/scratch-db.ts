import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDb, type Db } from "./db.js";

/**
 * A throw-away database for one evaluation run: a schema of its own on PostgreSQL (dropped on
 * close), or an embedded PGlite in a temporary directory (removed on close).
 */
export async function openScratchDb(options: { databaseUrl?: string; label: string }): Promise<{ db: Db; close(): Promise<void> }> {
  const tag = options.label
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, "_")
    .slice(0, 30);
  const schema = `scratch_${tag}_${randomBytes(4).toString("hex")}`;
  if (options.databaseUrl) {
    const db = await openDb({ databaseUrl: options.databaseUrl, dataDir: "", schema });
    return {
      db,
      async close() {
        await db.pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
        await db.close();
      },
    };
  }
  const dataDir = mkdtempSync(path.join(tmpdir(), `pulse-${tag}-`));
  const db = await openDb({ dataDir, schema });
  return {
    db,
    async close() {
      await db.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
