import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { parse } from "csv-parse/sync";
import { afterAll, describe, expect, it } from "vitest";
import { upliftCsv } from "./eval-uplift.js";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../../../", import.meta.url));
const sample = readFileSync(join(root, "evals/data/hillstrom/sample.csv"), "utf8");
const dir = mkdtempSync(join(tmpdir(), "pulse-eval-uplift-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function pulse(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run("node", ["bin/pulse.mjs", "eval", "uplift", ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

describe.concurrent("pulse eval uplift", () => {
  it("writes one uplift per score row, in order, and reports Qini and kept shares", async () => {
    const lines = sample.trim().split("\n");
    const train = join(dir, "train.csv");
    const score = join(dir, "score.csv");
    const out = join(dir, "out.csv");
    writeFileSync(train, `${lines.slice(0, 2001).join("\n")}\n`);
    // Score the last 1,000 rows, reversed, so order is checked against a non-trivial sequence.
    writeFileSync(score, `${[lines[0], ...lines.slice(2001).reverse()].join("\n")}\n`);
    const r = await pulse(["--train", train, "--score", score, "--out", out, "--treatment", "Mens E-Mail", "--json"]);
    expect(r.stderr).not.toContain("pulse:");
    expect(r.code).toBe(0);
    const summary = JSON.parse(r.stdout) as { scoredRows: number; evaluation: { qini: number; keptTop30: number | null } | null };
    expect(summary.scoredRows).toBe(1000);
    expect(summary.evaluation).not.toBeNull();
    expect(Number.isFinite(summary.evaluation?.qini)).toBe(true);

    const written = parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[];
    const scored = parse(readFileSync(score, "utf8"), { columns: true }) as Record<string, string>[];
    expect(written).toHaveLength(scored.length);
    written.forEach((row, i) => {
      const { uplift, ...rest } = row;
      expect(rest).toEqual(scored[i]);
      expect(Number.isFinite(Number(uplift))).toBe(true);
    });
    // Womens E-Mail rows are neither arm for "Mens E-Mail" but still get a prediction.
    expect(written.filter((w) => w.segment === "Womens E-Mail").every((w) => w.uplift !== "")).toBe(true);
  }, 30_000);

  it("scores a file without outcomes and says it cannot evaluate; exits 3 naming a missing column", async () => {
    const train = join(dir, "train2.csv");
    writeFileSync(train, sample);
    const score = join(dir, "score2.csv");
    writeFileSync(
      score,
      'recency,history_segment,history,mens,womens,zip_code,newbie,channel\n3,1) $0 - $100,50,0,1,Rural,1,Web\n12,"7) $1,000 +",1500,1,1,Urban,0,Multichannel\n',
    );
    const noChannel = join(dir, "bad.csv");
    writeFileSync(noChannel, "recency,history_segment,history,mens,womens,zip_code,newbie\n3,1) $0 - $100,50,0,1,Rural,1\n");
    const [ok, bad] = await Promise.all([
      pulse(["--train", train, "--score", score, "--out", join(dir, "out2.csv")]),
      pulse(["--train", train, "--score", noChannel, "--out", join(dir, "out3.csv")]),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toMatch(/no evaluation: the score file has no "segment" or "visit" column/);
    expect(readFileSync(join(dir, "out2.csv"), "utf8").trim().split("\n")).toHaveLength(3);

    expect(bad.code).toBe(3);
    expect(bad.stderr).toMatch(/InputError: .*bad\.csv line 1: missing column\(s\) "channel"/);
  }, 30_000);
});

describe("upliftCsv", () => {
  it("keeps the columns, quotes what needs it and replaces an existing uplift column", () => {
    const text = upliftCsv(["a", "uplift", "b"], [["x,y", "9", "z"]], [0.1234567]);
    expect(text).toBe('a,b,uplift\n"x,y",z,0.123457\n');
  });
});
