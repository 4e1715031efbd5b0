import { Command } from "commander";
import { describe, expect, it } from "vitest";
import { InputError } from "../../../core/errors.js";
import { integerOption, registerSimEval } from "./sim-eval-command.js";

describe("simulator evaluation commands", () => {
  it("take integers within bounds and refuse anything else, naming the option", () => {
    expect(integerOption("--seed", "7", 0, 10)).toBe(7);
    for (const bad of ["", " ", "1.5", "abc", "-1", "11"]) expect(() => integerOption("--seed", bad, 0, 10)).toThrow(InputError);
    expect(() => integerOption("--weeks", "99", 1, 52)).toThrow(/--weeks must be an integer in \[1, 52\], got "99"/);
  });

  it("pass the parsed options to the evaluation and print its report", async () => {
    const evalCmd = new Command("eval").exitOverride();
    const seen: unknown[] = [];
    const out: string[] = [];
    const write = process.stdout.write;
    process.stdout.write = ((s: string) => (out.push(String(s)), true)) as typeof process.stdout.write;
    try {
      registerSimEval(evalCmd, {
        name: "probe",
        description: "a probe",
        customers: 300,
        weeks: { default: 4, help: "weeks" },
        progress: { label: "probe", total: () => 1 },
        run: async ({ onProgress, ...opts }) => {
          onProgress(1);
          seen.push(opts);
          return { ok: opts.customers };
        },
        format: (r) => `customers ${r.ok}`,
      });
      await evalCmd.parseAsync(["probe", "--customers", "400", "--weeks", "3"], { from: "user" });
    } finally {
      process.stdout.write = write;
    }
    expect(seen).toEqual([{ customers: 400, seed: 7, weeks: 3 }]);
    expect(out.join("")).toContain("customers 400");
  });
});
