import { mkdirSync, openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import path from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Worker } from "node:worker_threads";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
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
  /**
   * Runs `fn` in a transaction on one connection; rolls back if it throws. `setup` (statements
   * without parameters) runs in the same round trip as BEGIN.
   */
  transaction<T>(fn: (client: pg.PoolClient) => Promise<T>, setup?: string): Promise<T>;
  /**
   * Runs `fn` in a transaction on a session made for bulk loads: `copyIn` streams COPY text into a
   * table (PostgreSQL's COPY FROM STDIN; PGlite's COPY from a blob, when this process owns the
   * embedded database), and `query` runs statements in the same transaction. `setup` (statements
   * without parameters) runs in the same round trip as BEGIN. `fn` must use only its session: on
   * the embedded database every other query (through `pool`, from any process) waits until this
   * transaction ends, so awaiting one inside `fn` would never return.
   */
  bulkTransaction<T>(fn: (session: BulkSession) => Promise<T>, setup?: string): Promise<T>;
  close(): Promise<void>;
}

/** What a repo function running single statements needs: the pool, or one transaction's client. */
export type Queryable = Pick<pg.Pool, "query"> | Pick<pg.PoolClient, "query">;

/** The pool of a Db, or the Queryable given (e.g. a transaction's client). */
export function queryable(db: Db | Queryable): Queryable {
  return "pool" in db ? db.pool : db;
}

export interface BulkSession {
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<{ rows: R[] }>;
  /** Loads COPY text-format data (tab-separated, \\N for NULL) into `target`, e.g. `stage (a, b)`. */
  copyIn(target: string, data: string): Promise<void>;
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
  // Nor on a checked-out client's: when the server goes away mid-query the query rejects anyway, and
  // an unheard 'error' event would kill the process (found by the chaos suite's PostgreSQL restart).
  pool.on("connect", (client) => client.on("error", () => {}));

  const db: Db = {
    pool,
    kind: embedded ? "pglite" : "postgres",
    schema,
    async transaction(fn, setup) {
      const client = await pool.connect();
      try {
        await client.query(`SET search_path TO "${schema}"; BEGIN${setup ? `; ${setup}` : ""}`);
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
    async bulkTransaction(fn, setup) {
      const worker = embedded?.worker;
      if (worker) {
        // The owner talks to PGlite's thread directly: COPY from a blob, no socket round trips.
        // The database's thread makes the socket's clients wait until this one ends (pglite-worker.mjs).
        const sid = worker.nextSession();
        await worker.call({ op: "begin", sid, schema, setup });
        try {
          const result = await fn({
            query: async (sql, params) => ({ rows: (await worker.call({ op: "query", sid, sql, params })) as never[] }),
            copyIn: async (target, data) => {
              await worker.call({ op: "copy", sid, target, data });
            },
          });
          await worker.call({ op: "end", sid, commit: true });
          return result;
        } catch (err) {
          await worker.call({ op: "end", sid, commit: false }).catch(() => {});
          throw err;
        }
      }
      // Few round trips: the parse of the next batch shares this thread with the socket, so every
      // round trip of this one can wait for a slice of it.
      return db.transaction(
        (client) =>
          fn({
            query: (sql, params) => client.query(sql, params),
            copyIn: async (target, data) => {
              if (db.kind === "postgres") {
                await pipeline(Readable.from([data]), client.query(copyFrom(`COPY ${target} FROM STDIN`)));
                return;
              }
              // Another process owns the embedded database and its socket has no COPY FROM STDIN:
              // the same rows go in as one INSERT of text arrays.
              await insertCopyText(client, target, data);
            },
          }),
        setup,
      );
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
  /** The database's thread, when this process owns it. */
  worker?: PgliteThread;
  stop(): Promise<void>;
}

/** Requests to the thread that runs PGlite (store/pglite-worker.mjs), each answered under its id. */
class PgliteThread {
  #next = 0;
  #sessions = 0;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();

  constructor(readonly thread: Worker) {
    thread.on("message", (msg: { id?: number; result?: unknown; error?: { message: string; code?: string } }) => {
      if (msg.id === undefined) return;
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (msg.error) p.reject(Object.assign(new Error(msg.error.message), { code: msg.error.code }));
      else p.resolve(msg.result);
    });
    thread.on("error", (err) => this.#failAll(err));
    thread.on("exit", (code) => this.#failAll(new StoreError(`the embedded database's thread stopped (exit code ${code})`)));
  }

  nextSession(): number {
    return ++this.#sessions;
  }

  call(msg: Record<string, unknown>): Promise<unknown> {
    const id = ++this.#next;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.thread.postMessage({ ...msg, id });
    });
  }

  #failAll(err: Error): void {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
  }
}

/** Parses COPY text format back into columns and inserts them with one statement (no COPY available). */
async function insertCopyText(client: pg.PoolClient, target: string, data: string): Promise<void> {
  const m = /^([\w."]+)\s*\(([^)]*)\)$/.exec(target.trim());
  if (!m) throw new StoreError(`bulk target must be "table (columns)", got "${target}"`);
  const names = m[2]!.split(",").map((c) => c.trim());
  const columns: (string | null)[][] = names.map(() => []);
  const unescape = (f: string) =>
    f === "\\N" ? null : f.replace(/\\([\\tnr])/g, (_, c: string) => ({ t: "\t", n: "\n", r: "\r" })[c] ?? "\\");
  for (const line of data.split("\n")) {
    if (line === "") continue;
    const fields = line.split("\t");
    names.forEach((_, i) => columns[i]!.push(unescape(fields[i] ?? "\\N")));
  }
  const { rows } = await client.query<{ attname: string; type: string }>(
    `SELECT a.attname, format_type(a.atttypid, a.atttypmod) AS type FROM pg_attribute a
     WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped`,
    [m[1]],
  );
  const typeOf = new Map(rows.map((r) => [r.attname, r.type]));
  const arrays = names.map((n, i) => `$${i + 1}::${typeOf.get(n) ?? "text"}[]`).join(", ");
  await client.query(`INSERT INTO ${target} SELECT * FROM unnest(${arrays})`, columns);
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

  // PGlite and its socket server run on a thread of their own (see store/pglite-worker.mjs).
  const thread = new Worker(new URL("./pglite-worker.mjs", import.meta.url), {
    workerData: { dataDir: path.join(dataDir, "pgdata"), maxConnections },
  });
  const ready = await new Promise<{ ready: boolean; port?: number; error?: { message: string } }>((resolve) => {
    thread.once("message", resolve);
    thread.once("error", (err) => resolve({ ready: false, error: { message: err.message } }));
  });
  if (!ready.ready || !ready.port) {
    await thread.terminate().catch(() => {});
    closeSync(fd);
    rmSync(lockPath, { force: true });
    throw new StoreError(`cannot open the embedded database in ${dataDir}: ${ready.error?.message ?? "no answer"}`);
  }
  const port = ready.port;
  const worker = new PgliteThread(thread);
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
    worker,
    async stop() {
      if (stopped) return;
      stopped = true;
      await worker.call({ op: "stop" }).catch(() => {});
      await thread.terminate().catch(() => {});
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
