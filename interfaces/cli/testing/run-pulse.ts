import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../../../core/config.js";

/** What a `pulse` process printed and how it ended. */
export interface PulseRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunPulseOptions {
  /** The test database schema the command works in (on the test PostgreSQL). */
  schema: string;
  /** The data directory (outbox, dead letters, checkpoints). */
  dataDir: string;
  /** The operating user the CLI takes as its identity (PULSE_ACTOR). */
  actor: string;
  /** PULSE_CLI_ROLES, e.g. "ann:marketer,bob:admin". */
  roles: string;
  /** Text written to the command's standard input, then closed. */
  stdin?: string;
  /** Further environment, over the defaults (no LLM key, no Redis). */
  env?: Record<string, string>;
}

const root = fileURLToPath(new URL("../../../", import.meta.url));

/**
 * Test support: runs `pulse ARGS` as its own process, as an operator would, on a test database. The
 * process gets only the environment given here (this Node binary, so no PATH lookup is needed).
 */
export function runPulse(args: readonly string[], options: RunPulseOptions): Promise<PulseRun> {
  const env = {
    DATABASE_URL: loadConfig().PULSE_TEST_DATABASE_URL,
    PULSE_DB_SCHEMA: options.schema,
    PULSE_DATA_DIR: options.dataDir,
    OPENAI_API_KEY: "",
    REDIS_URL: "",
    PULSE_ACTOR: options.actor,
    PULSE_CLI_ROLES: options.roles,
    ...options.env,
  };
  return new Promise((resolve) => {
    const child = execFile(process.execPath, ["bin/pulse.mjs", ...args], { cwd: root, env, timeout: 180_000 }, (err, stdout, stderr) =>
      resolve({
        code: err ? (typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : 1) : 0,
        stdout,
        stderr,
      }),
    );
    child.stdin!.end(options.stdin ?? "");
  });
}
