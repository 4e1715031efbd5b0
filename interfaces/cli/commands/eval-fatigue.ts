import type { Command } from "commander";
import { InputError } from "../../../core/errors.js";
import { evaluateFatigueLearningOnSim, formatFatigueLearningOnSim } from "../../../evals/fatigue-learning-sim.js";
import { createProgress } from "../progress.js";
import { printResult, runAction } from "../run-action.js";

interface EvalFatigueCliOptions {
  json?: boolean;
  customers: string;
  seed: string;
  weeks: string;
}

function integerOption(name: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isInteger(v) || v < min || v > max)
    throw new InputError(`${name} must be an integer in [${min}, ${max}], got "${text}"`);
  return v;
}

export function registerEvalFatigue(evalCmd: Command): void {
  evalCmd
    .command("fatigue")
    .description(
      "Fatigue learning on the simulator: weekly e-mails under the policy's fixed cap against caps learned per segment from unsubscribes and conversions (tools/fatigue-learning.ts), on paired copies of one world",
    )
    .option("--customers <n>", "simulated customers", "3000")
    .option("--seed <n>", "simulator seed", "7")
    .option("--weeks <n>", "weekly cycles to run", "8")
    .option("--json", "print the report as JSON")
    .addHelpText("after", "\nExit codes: 0 done, 3 invalid option.")
    .action(
      runAction(async (opts: EvalFatigueCliOptions) => {
        const customers = integerOption("--customers", opts.customers, 200, 1_000_000);
        const seed = integerOption("--seed", opts.seed, 0, 2 ** 31 - 1);
        const weeks = integerOption("--weeks", opts.weeks, 1, 52);
        const progress = createProgress("arms", 2);
        try {
          const result = await evaluateFatigueLearningOnSim({ customers, seed, weeks, onProgress: (done) => progress.update(done) });
          progress.stop();
          printResult(result, opts.json, formatFatigueLearningOnSim);
        } finally {
          progress.stop();
        }
      }),
    );
}
