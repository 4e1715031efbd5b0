import type { Command } from "commander";
import { InputError } from "../../../core/errors.js";
import { evaluateRecommendOnSim, formatRecommendOnSim } from "../../../evals/recommend-sim.js";
import { createProgress } from "../progress.js";
import { printResult, runAction } from "../run-action.js";

interface EvalRecommendCliOptions {
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

export function registerEvalRecommend(evalCmd: Command): void {
  evalCmd
    .command("recommend")
    .description(
      "Cross-sell recommendations (EASE, co-occurrence) against the popularity baseline on a time split of the simulator: recall@10, hit rate, and the true fit of what each recommends",
    )
    .option("--customers <n>", "simulated customers", "5000")
    .option("--seed <n>", "simulator seed", "7")
    .option("--weeks <n>", "weeks after history to score on", "8")
    .option("--json", "print the report as JSON")
    .addHelpText("after", "\nExit codes: 0 done, 3 invalid option.")
    .action(
      runAction(async (opts: EvalRecommendCliOptions) => {
        const customers = integerOption("--customers", opts.customers, 200, 1_000_000);
        const seed = integerOption("--seed", opts.seed, 0, 2 ** 31 - 1);
        const weeks = integerOption("--weeks", opts.weeks, 1, 52);
        const progress = createProgress("simulate", customers);
        try {
          const result = await evaluateRecommendOnSim({ customers, seed, weeks, onProgress: (done) => progress.update(done) });
          progress.stop();
          printResult(result, opts.json, formatRecommendOnSim);
        } finally {
          progress.stop();
        }
      }),
    );
}
