import { execFile, spawn, type ChildProcess } from "node:child_process";
import { chownSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { exitOf } from "../jobs/test-process.js";
import { sleep } from "./chaos-kit.js";

/**
 * Test support for the chaos suite: a private Redis and a private PostgreSQL cluster on random
 * loopback ports, which a test may stop and start again without touching the shared services.
 */

const run = promisify(execFile);

/** A free loopback port (the OS picks one; it is free again once this returns). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface PrivateRedis {
  url: string;
  port: number;
  /** Stops the server (SIGKILL: without persistence, every key is gone). */
  stop(): Promise<void>;
  /** Starts it again on the same port, empty. */
  start(): Promise<void>;
}

/** `redis-server --port <random> --save '' --appendonly no`, as a child of this process. */
export async function startPrivateRedis(): Promise<PrivateRedis> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], {
      stdio: ["ignore", "ignore", "pipe"],
    });
    for (let i = 0; i < 100; i++) {
      try {
        const { stdout } = await run("redis-cli", ["-p", String(port), "ping"]);
        if (stdout.includes("PONG")) return;
      } catch {
        // not up yet
      }
      await sleep(100);
    }
    throw new Error(`private redis on port ${port} did not come up`);
  };
  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async stop() {
      if (!child || child.exitCode !== null || child.signalCode !== null) return;
      const exited = exitOf(child);
      child.kill("SIGKILL");
      await exited;
    },
    start,
  };
}

export interface PrivatePostgres {
  url: string;
  port: number;
  /** pg_ctl stop -m fast: every connection is closed. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops the cluster and removes its files. */
  destroy(): Promise<void>;
}

/** The newest PostgreSQL server binaries installed (Debian keeps them under /usr/lib/postgresql/<version>/bin). */
export function postgresBinDir(): string {
  const root = "/usr/lib/postgresql";
  let versions: string[];
  try {
    versions = readdirSync(root).filter((v) => /^\d+$/.test(v));
  } catch {
    versions = [];
  }
  if (versions.length === 0) throw new Error(`no PostgreSQL server binaries under ${root} (apt-get install postgresql)`);
  return path.join(root, versions.sort((a, b) => Number(a) - Number(b)).at(-1)!, "bin");
}

/**
 * A throwaway cluster: initdb into a temporary directory (as the postgres user when this process
 * is root, since the server refuses to run as root), trust authentication on loopback, started
 * with pg_ctl on a random port. No fsync: a test cluster.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), "pulse-chaos-pg-"));
  const asRoot = process.getuid?.() === 0;
  if (asRoot) {
    const { stdout } = await run("id", ["-u", "postgres"]);
    const { stdout: gid } = await run("id", ["-g", "postgres"]);
    chownSync(dir, Number(stdout.trim()), Number(gid.trim()));
  }
  const pgRun = (cmd: string, args: string[]) =>
    asRoot ? run("runuser", ["-u", "postgres", "--", path.join(bin, cmd), ...args]) : run(path.join(bin, cmd), args);
  const data = path.join(dir, "data");
  await pgRun("initdb", ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  const start = async () => {
    await pgRun("pg_ctl", [
      "-D",
      data,
      "-l",
      path.join(dir, "server.log"),
      "-w",
      "-o",
      `-p ${port} -c listen_addresses=127.0.0.1 -k ${dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`,
      "start",
    ]);
  };
  await start();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  // Ready for queries, not only for connections.
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.end();
  return {
    url,
    port,
    async stop() {
      await pgRun("pg_ctl", ["-D", data, "-m", "fast", "-w", "stop"]);
    },
    start,
    async destroy() {
      await pgRun("pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]).catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
