import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import path from "node:path";
import pg from "pg";
import { StoreError } from "../core/errors.js";
import { migrate } from "./migrate.js";

/**
 * One way into the database for all of Pulse: a `pg` Pool. With a DATABASE_URL it talks to
 * PostgreSQL; without one, Pulse starts an embedded PGlite on disk and serves it on a loopback
 * socket, so the same driver, SQL and LangGraph checkpointer work on both.
 */
export interface Db {
  readonly pool: pg.Pool;
  readonly kind: "postgres" | "pglite";
  readonly schema: string;
  /** Runs `fn` in a transaction on one connection; rolls back if it throws. */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface OpenDbOptions {
  databaseUrl?: string;
  /** Where the embedded database lives when databaseUrl is not set. */
  dataDir: string;
  /** PostgreSQL schema holding Pulse's tables (tests use one each). */
  schema?: string;
  /** Pool size; PGlite serialises queries anyway. */
  maxConnections?: number;
  /** Run migrations on open (default true). */
  migrate?: boolean;
}

// Numeric and bigint come back as JS numbers: Pulse's amounts fit in a double and its counts in 2^53.
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number.parseFloat(v));
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number.parseInt(v, 10));

export async function openDb(options: OpenDbOptions): Promise<Db> {
  const schema = options.schema ?? "public";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) throw new StoreError(`invalid schema name "${schema}"`);
  const max = options.maxConnections ?? 8;

  let embedded: EmbeddedServer | undefined;
  let connectionString = options.databaseUrl;
  if (!connectionString) {
    embedded = await startEmbedded(options.dataDir, max);
    connectionString = embedded.url;
  }

  // PGlite's socket multiplexer can interleave the extended-protocol messages of concurrent
  // connections ("unnamed prepared statement does not exist"), so this process talks to the
  // embedded database over one connection: queries queue in the pool instead.
  const poolSize = embedded ? 1 : max;
  const pool = new pg.Pool({ connectionString, max: poolSize, idleTimeoutMillis: 10_000, options: `-c search_path=${schema}` });
  // A pool must never crash the process on an idle client's error (e.g. the server restarting).
  pool.on("error", () => {});

  const db: Db = {
    pool,
    kind: embedded ? "pglite" : "postgres",
    schema,
    async transaction(fn) {
      const client = await pool.connect();
      try {
        await client.query(`SET search_path TO "${schema}"`);
        await client.query("BEGIN");
        const result = await fn(client);
        await client.query("COMMIT");
        return result;
      } catch (err) {
        await client.query("ROLLBACK").catch(() => {});
        throw err;
      } finally {
        client.release();
      }
    },
    async close() {
      await pool.end().catch(() => {});
      await embedded?.stop();
    },
  };

  try {
    await pool.query("SELECT 1");
    if (options.migrate !== false) await migrate(db);
  } catch (err) {
    await db.close();
    if (err instanceof StoreError) throw err;
    const where = embedded ? `embedded database in ${options.dataDir}` : redactUrl(connectionString);
    throw new StoreError(`cannot open the database (${where}): ${(err as Error).message}`, { cause: err, retryable: true });
  }
  return db;
}

export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString();
  } catch {
    return "(unparsable URL)";
  }
}

interface EmbeddedServer {
  url: string;
  stop(): Promise<void>;
}

/**
 * Only one process may own a PGlite data directory. The owner writes a lock file with its pid and
 * port; another Pulse process on the same directory connects to the owner's socket instead of
 * opening the files a second time. A lock left by a dead process is taken over.
 */
async function startEmbedded(dataDir: string, maxConnections: number): Promise<EmbeddedServer> {
  mkdirSync(dataDir, { recursive: true });
  const lockPath = path.join(dataDir, "pglite.lock");
  const owner = readLock(lockPath);
  if (owner && owner.pid !== process.pid && isAlive(owner.pid)) {
    return { url: `postgres://postgres@127.0.0.1:${owner.port}/postgres`, stop: async () => {} };
  }
  if (owner) rmSync(lockPath, { force: true });

  let fd: number;
  try {
    fd = openSync(lockPath, "wx");
  } catch (err) {
    // Another process won the race between our check and our create: use its server.
    const winner = await waitForLock(lockPath);
    if (winner) return { url: `postgres://postgres@127.0.0.1:${winner.port}/postgres`, stop: async () => {} };
    throw new StoreError(`cannot lock the embedded database in ${dataDir}`, { cause: err });
  }

  const [{ PGlite }, { PGLiteSocketServer }] = await Promise.all([
    import("@electric-sql/pglite"),
    import("@electric-sql/pglite-socket"),
  ]);
  let pglite;
  try {
    pglite = await PGlite.create(path.join(dataDir, "pgdata"));
  } catch (err) {
    closeSync(fd);
    rmSync(lockPath, { force: true });
    throw new StoreError(`cannot open the embedded database in ${dataDir}: ${(err as Error).message}`, { cause: err });
  }
  const server = new PGLiteSocketServer({ db: pglite, host: "127.0.0.1", port: 0, maxConnections });
  await server.start();
  const port = Number(server.getServerConn().split(":").pop());
  writeSync(fd, JSON.stringify({ pid: process.pid, port }));
  closeSync(fd);

  let stopped = false;
  const release = () => {
    const current = readLock(lockPath);
    if (current?.pid === process.pid) rmSync(lockPath, { force: true });
  };
  process.once("exit", release);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    async stop() {
      if (stopped) return;
      stopped = true;
      await server.stop().catch(() => {});
      await pglite.close().catch(() => {});
      release();
      process.removeListener("exit", release);
    },
  };
}

function readLock(lockPath: string): { pid: number; port: number } | undefined {
  try {
    const parsed = JSON.parse(readFileSync(lockPath, "utf8")) as { pid?: unknown; port?: unknown };
    if (typeof parsed.pid === "number" && typeof parsed.port === "number") return { pid: parsed.pid, port: parsed.port };
  } catch {
    // missing, or being written right now
  }
  return undefined;
}

async function waitForLock(lockPath: string): Promise<{ pid: number; port: number } | undefined> {
  for (let i = 0; i < 100; i++) {
    const lock = readLock(lockPath);
    if (lock) return lock;
    await new Promise((r) => setTimeout(r, 50));
  }
  return undefined;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}
