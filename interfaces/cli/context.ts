import { loadConfig, type Config } from "../../core/config.js";
import { openDb, type Db } from "../../store/db.js";

/** Opens the configured database for one command and always closes it. */
export async function withDb<T>(fn: (db: Db, config: Config) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir: config.PULSE_DATA_DIR, schema: config.PULSE_DB_SCHEMA });
  try {
    return await fn(db, config);
  } finally {
    await db.close();
  }
}
