// The embedded database's own thread: PGlite (PostgreSQL compiled to WebAssembly) and its socket
// server run here, so queries execute beside the application's JavaScript instead of blocking it.
// Plain JavaScript on purpose: a worker thread is started by Node itself, outside any TypeScript
// loader (the CLI's tsx hooks, vitest's transform). Protocol, all messages from the owning thread:
//   { id, op: "begin", sid, schema, setup? } opens a transaction for bulk work (PGlite runs one at a time)
//   { id, op: "query", sid, sql, params? }   runs a statement in it (no params: several statements allowed)
//   { id, op: "copy", sid, target, data }    COPY target FROM the data (COPY text format)
//   { id, op: "end", sid, commit }           commits or rolls back
//   { id, op: "stop" }                       stops the server and closes the database
// Each message is answered by { id, result } or { id, error: { message, code } }.
import { parentPort, workerData } from "node:worker_threads";
import { PGlite } from "@electric-sql/pglite";
import { PGLiteSocketServer } from "@electric-sql/pglite-socket";

const { dataDir, maxConnections } = workerData;
const sessions = new Map();

const reply = (id, result) => parentPort.postMessage({ id, result });
const fail = (id, err) => parentPort.postMessage({ id, error: { message: err?.message ?? String(err), code: err?.code } });

// PGlite is one PostgreSQL session. A bulk transaction and the socket's clients must therefore take
// turns: a socket message sent while a bulk transaction is open would run inside it (and vanish if
// it rolls back), and a bulk transaction begun while a socket client is in a transaction would join
// that one. So socket messages wait while bulk transactions are open, and a bulk transaction begins
// only when no socket message is running and no socket transaction is open.
let bulkOpen = 0;
let socketRunning = 0;
let bulkDone = [];
let socketQuiet = [];
const wake = (list) => list.splice(0).forEach((resolve) => resolve());
const SOCKET_TRANSACTION_WAIT_MS = 60_000;

async function socketTurn(fn) {
  while (bulkOpen > 0) await new Promise((resolve) => bulkDone.push(resolve));
  socketRunning++;
  try {
    return await fn();
  } finally {
    socketRunning--;
    wake(socketQuiet);
  }
}

// While a bulk transaction is open, the session's transaction is that one, never a socket client's.
const socketInTransaction = () => bulkOpen === 0 && pglite.isInTransaction();

async function bulkTurn() {
  const deadline = Date.now() + SOCKET_TRANSACTION_WAIT_MS;
  while (socketRunning > 0 || socketInTransaction()) {
    if (Date.now() > deadline)
      throw new Error(
        `a client of the embedded database has kept a transaction open for over ${SOCKET_TRANSACTION_WAIT_MS / 1000} s; the bulk load cannot start`,
      );
    await new Promise((resolve) => {
      socketQuiet.push(resolve);
      setTimeout(resolve, 1_000);
    });
  }
  bulkOpen++;
}

function bulkEnded() {
  bulkOpen--;
  if (bulkOpen === 0) wake(bulkDone);
}

/** What the socket server sees of PGlite: the same database, taking turns with bulk transactions. */
function socketView(db) {
  return {
    waitReady: db.waitReady,
    runExclusive: (fn) => socketTurn(() => db.runExclusive(fn)),
    execProtocolRawStream: (message, options) => db.execProtocolRawStream(message, options),
    exec: (sql, options) => socketTurn(() => db.exec(sql, options)),
    isInTransaction: socketInTransaction,
  };
}

let pglite;
let server;
try {
  pglite = await PGlite.create(dataDir);
  server = new PGLiteSocketServer({ db: socketView(pglite), host: "127.0.0.1", port: 0, maxConnections });
  await server.start();
  parentPort.postMessage({ ready: true, port: Number(server.getServerConn().split(":").pop()) });
} catch (err) {
  parentPort.postMessage({ ready: false, error: { message: err?.message ?? String(err) } });
}

async function begin(id, sid, schema, setup) {
  const session = { tx: undefined, finish: undefined, done: undefined };
  const ended = new Promise((resolve, reject) => (session.finish = { resolve, reject }));
  ended.catch(() => {});
  let opened = false;
  try {
    await bulkTurn();
  } catch (err) {
    fail(id, err);
    return;
  }
  session.done = pglite
    .transaction(async (tx) => {
      await tx.exec(`SET LOCAL search_path TO "${schema}"${setup ? `; ${setup}` : ""}`);
      session.tx = tx;
      opened = true;
      sessions.set(sid, session);
      reply(id, null);
      await ended;
    })
    .finally(bulkEnded);
  // A failure before the session opened answers "begin"; later ones answer "end".
  session.done.catch((err) => !opened && fail(id, err));
}

parentPort.on("message", async (msg) => {
  const { id, op, sid } = msg;
  try {
    if (op === "begin") {
      await begin(id, sid, msg.schema, msg.setup);
      return;
    }
    if (op === "stop") {
      await server?.stop().catch(() => {});
      await pglite?.close().catch(() => {});
      reply(id, null);
      return;
    }
    const s = sessions.get(sid);
    if (!s) throw new Error(`no open bulk session ${sid}`);
    if (op === "query") {
      const rows = msg.params ? (await s.tx.query(msg.sql, msg.params)).rows : ((await s.tx.exec(msg.sql)).at(-1)?.rows ?? []);
      reply(id, rows);
    } else if (op === "copy") {
      await s.tx.query(`COPY ${msg.target} FROM '/dev/blob'`, [], { blob: new Blob([msg.data]) });
      reply(id, null);
    } else if (op === "end") {
      sessions.delete(sid);
      if (msg.commit) s.finish.resolve();
      else s.finish.reject(new Error("rolled back"));
      try {
        await s.done;
        reply(id, null);
      } catch (err) {
        if (msg.commit) fail(id, err);
        else reply(id, null);
      }
    } else {
      throw new Error(`unknown operation ${op}`);
    }
  } catch (err) {
    fail(id, err);
  }
});
