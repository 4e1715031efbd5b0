import type { Command } from "commander";
import { evaluateFatigueLearningOnSim, formatFatigueLearningOnSim } from "../../../evals/fatigue-learning-sim.js";
import { registerSimEval } from "./sim-eval-command.js";

export function registerEvalFatigue(evalCmd: Command): void {
  registerSimEval(evalCmd, {
    name: "fatigue",
    description:
      "Fatigue learning on the simulator: weekly e-mails under the policy's fixed cap against caps learned per segment from unsubscribes and conversions (tools/fatigue-learning.ts), on paired copies of one world",
    customers: 3000,
    weeks: { default: 8, help: "weekly cycles to run" },
    progress: { label: "arms", total: () => 2 },
    run: ({ customers, seed, weeks, onProgress }) => evaluateFatigueLearningOnSim({ customers, seed, weeks: weeks!, onProgress }),
    format: formatFatigueLearningOnSim,
  });
}
