import type { Command } from "commander";
import { InputError } from "../../../core/errors.js";
import { evaluateOpeOnSim, formatOpeOnSim } from "../../../evals/ope-sim.js";
import { createProgress } from "../progress.js";
import { printResult, runAction } from "../run-action.js";

interface EvalOpeCliOptions {
  json?: boolean;
  customers: string;
  seed: string;
}

function integerOption(name: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isInteger(v) || v < min || v > max)
    throw new InputError(`${name} must be an integer in [${min}, ${max}], got "${text}"`);
  return v;
}

export function registerEvalOpe(evalCmd: Command): void {
  evalCmd
    .command("ope")
    .description(
      "Off-policy evaluation on the simulator: log bandit decisions with their propensities, estimate alternative policies (5% less discount, email only, push at 10%) by IPW, SNIPW and DR, and compare with the ground truth",
    )
    .option("--customers <n>", "simulated customers", "5000")
    .option("--seed <n>", "simulator seed", "7")
    .option("--json", "print the report as JSON")
    .addHelpText("after", "\nExit codes: 0 done, 3 invalid option.")
    .action(
      runAction(async (opts: EvalOpeCliOptions) => {
        const customers = integerOption("--customers", opts.customers, 200, 1_000_000);
        const seed = integerOption("--seed", opts.seed, 0, 2 ** 31 - 1);
        const progress = createProgress("simulate", customers);
        try {
          const result = await evaluateOpeOnSim({ customers, seed, onProgress: (done) => progress.update(done) });
          progress.stop();
          printResult(result, opts.json, formatOpeOnSim);
        } finally {
          progress.stop();
        }
      }),
    );
}
