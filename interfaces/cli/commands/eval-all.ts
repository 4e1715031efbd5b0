import type { Command } from "commander";
import { formatEvalAll, runEvalAll } from "../../../evals/eval-all.js";
import { printResult, runAction } from "../run-action.js";
import { integerOption } from "./sim-eval-command.js";

interface EvalAllCliOptions {
  json?: boolean;
  customers?: string;
  seed: string;
  fast?: boolean;
}

export function registerEvalAll(evalCmd: Command): void {
  evalCmd
    .command("all")
    .description(
      "Every decision tool's evaluation in one table: CLV on CDNOW, uplift on Hillstrom, and segments, churn and uplift against the simulator's ground truth (npm run eval)",
    )
    .option("--json", "print the full report as JSON")
    .option("--customers <n>", "simulated customers (default 50000; 5000 with --fast)")
    .option("--seed <n>", "simulator seed", "7")
    .option("--fast", "small subset for CI: CDNOW, the bundled Hillstrom sample, a 5,000-customer simulator")
    .addHelpText(
      "after",
      "\nThe full run reads ../shared/data/hillstrom/train.csv next to the repository and takes a few minutes at 50,000 customers.\nExit codes: 0 done, 2 usage, 3 missing or malformed data.",
    )
    .action(
      runAction(async (opts: EvalAllCliOptions) => {
        const report = await runEvalAll({
          fast: opts.fast ?? false,
          ...(opts.customers === undefined ? {} : { customers: integerOption("--customers", opts.customers, 100, 1_000_000) }),
          seed: integerOption("--seed", opts.seed, 0, Number.MAX_SAFE_INTEGER),
          onSection: (name) => process.stderr.write(`eval: ${name}...\n`),
        });
        printResult(report, opts.json, formatEvalAll);
      }),
    );
}
