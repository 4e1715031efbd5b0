import type { Command } from "commander";
import { InputError } from "../../../core/errors.js";
import { createProgress } from "../progress.js";
import { printResult, runAction } from "../run-action.js";

/** An integer option in [min, max], or an InputError (exit code 3) naming the option and what it got. */
export function integerOption(name: string, text: string, min: number, max: number): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isInteger(v) || v < min || v > max)
    throw new InputError(`${name} must be an integer in [${min}, ${max}], got "${text}"`);
  return v;
}

/** The options every simulator evaluation takes: a world of `customers` from `seed`, and `weeks` when it has them. */
export interface SimEvalOptions {
  customers: number;
  seed: number;
  weeks?: number;
  onProgress: (done: number) => void;
}

/** A `pulse eval <name>` command that simulates a world, evaluates on it with a progress bar and prints the report. */
export function registerSimEval<R>(
  evalCmd: Command,
  spec: {
    name: string;
    description: string;
    customers: number;
    /** The weeks option's default and help, for evaluations that run over weeks. */
    weeks?: { default: number; help: string };
    /** What the progress bar counts, and its total for a world of that many customers. */
    progress: { label: string; total: (customers: number) => number };
    run: (options: SimEvalOptions) => Promise<R>;
    format: (result: R) => string;
  },
): void {
  const cmd = evalCmd
    .command(spec.name)
    .description(spec.description)
    .option("--customers <n>", "simulated customers", String(spec.customers))
    .option("--seed <n>", "simulator seed", "7");
  if (spec.weeks) cmd.option("--weeks <n>", spec.weeks.help, String(spec.weeks.default));
  cmd
    .option("--json", "print the report as JSON")
    .addHelpText("after", "\nExit codes: 0 done, 3 invalid option.")
    .action(
      runAction(async (opts: { customers: string; seed: string; weeks?: string; json?: boolean }) => {
        const customers = integerOption("--customers", opts.customers, 200, 1_000_000);
        const seed = integerOption("--seed", opts.seed, 0, 2 ** 31 - 1);
        const weeks = spec.weeks ? integerOption("--weeks", opts.weeks ?? "", 1, 52) : undefined;
        const progress = createProgress(spec.progress.label, spec.progress.total(customers));
        try {
          const result = await spec.run({
            customers,
            seed,
            ...(weeks === undefined ? {} : { weeks }),
            onProgress: (done) => progress.update(done),
          });
          progress.stop();
          printResult(result, opts.json, spec.format);
        } finally {
          progress.stop();
        }
      }),
    );
}
