import { execFile } from "node:child_process";
import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { describe, expect, it } from "vitest";
import { parsedRequestSchema } from "../../../agents/chat/contract.js";
import { chatExamplesPath, loadLabeled } from "../../../evals/chat-understanding.js";

const root = fileURLToPath(new URL("../../../", import.meta.url));

function pulse(args: string[], stdin: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile("node", ["bin/pulse.mjs", ...args], { cwd: root }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
    child.stdin!.end(stdin);
  });
}

describe("pulse chat --parse-only --json", () => {
  it("prints one {intent, params} a line for examples.jsonl, every intent and listed parameter right", async () => {
    const examples = await loadLabeled(chatExamplesPath);
    const texts = examples.map((e) => e.text).join("\n") + "\n";
    const r = await pulse(["chat", "--parse-only", "--json"], texts);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.length).toBe(examples.length);
    lines.forEach((line, i) => {
      const parsed = parsedRequestSchema.parse(JSON.parse(line));
      expect(Object.keys(JSON.parse(line)).sort()).toEqual(["intent", "params"]);
      expect(parsed.intent, examples[i]!.text).toBe(examples[i]!.intent);
      for (const [k, v] of Object.entries(examples[i]!.params))
        expect(isDeepStrictEqual(parsed.params[k], v), `${examples[i]!.text}: ${k}`).toBe(true);
    });
  });

  it("accepts the JSONL lines themselves (a `text` field) and skips blank lines", async () => {
    const raw = await readFile(chatExamplesPath, "utf8");
    const r = await pulse(["chat", "--parse-only", "--json"], raw + "\n\n");
    expect(r.code).toBe(0);
    expect(
      r.stdout
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).intent),
    ).toEqual(
      raw
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).intent),
    );
  });
});

describe("pulse eval chat", () => {
  it("prints intent and parameter accuracy, overall and per intent", async () => {
    const r = await pulse(["eval", "chat", "--json"], "");
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.requests).toBeGreaterThanOrEqual(150);
    expect(report.intent.rate).toBeGreaterThan(0.9);
    expect(report.perIntent.map((p: { name: string }) => p.name)).toContain("plan_campaign");
  });
});
