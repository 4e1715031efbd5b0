import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { Command } from "commander";
import { describe, expect, it, vi } from "vitest";
import { registerEvalAll } from "./eval-all.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));

async function pulse(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node", ["bin/pulse.mjs", "eval", "all", ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

// The figures themselves are asserted in evals/eval-all.test.ts; this checks the command's wiring.
describe.concurrent("pulse eval all", () => {
  it("registers `eval all` with its options", () => {
    const evalCmd = new Command("eval");
    registerEvalAll(evalCmd);
    const all = evalCmd.commands.find((c) => c.name() === "all");
    expect(all?.options.map((o) => o.long)).toEqual(["--json", "--customers", "--seed", "--fast"]);
  });

  it("rejects a bad --customers before running anything", async () => {
    const r = await pulse(["--fast", "--customers", "ten"]);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("--customers must be an integer");
    expect(r.stdout).toBe("");
  });

  it("prints the fast run as JSON with one row per metric", async () => {
    const evalCmd = new Command("eval").exitOverride();
    registerEvalAll(evalCmd);
    const out: string[] = [];
    const stdout = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => (out.push(String(chunk)), true));
    const stderr = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    try {
      await evalCmd.parseAsync(["all", "--fast", "--customers", "1000", "--json"], { from: "user" });
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    expect(process.exitCode ?? 0).toBe(0);
    const report = JSON.parse(out.join("")) as { mode: string; rows: { tool: string }[]; simulator: { customers: number } };
    expect(report.mode).toBe("fast");
    expect(report.simulator.customers).toBe(1000);
    expect(new Set(report.rows.map((row) => row.tool))).toEqual(
      new Set(["CLV (BG/NBD)", "Uplift", "Simulator", "Segments", "Churn", "Uplift vs truth"]),
    );
  });
});
