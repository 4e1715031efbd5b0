import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));

async function pulse(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node", ["bin/pulse.mjs", "eval", "ope", ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.concurrent("pulse eval ope", () => {
  it("prints each alternative policy's truth and estimates as JSON", async () => {
    const { code, stdout } = await pulse(["--customers", "600", "--seed", "3", "--json"]);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as {
      customers: number;
      policies: { policy: string; truth: number; estimates: { estimator: string }[] }[];
    };
    expect(report.customers).toBe(600);
    expect(report.policies).toHaveLength(3);
    for (const p of report.policies) expect(p.estimates.map((e) => e.estimator)).toEqual(["ipw", "snipw", "dr"]);
  }, 60_000);

  it("refuses a bad --customers with a clear message", async () => {
    const { code, stderr } = await pulse(["--customers", "lots"]);
    expect(code).toBe(3);
    expect(stderr).toMatch(/--customers must be an integer/);
  }, 60_000);
});
