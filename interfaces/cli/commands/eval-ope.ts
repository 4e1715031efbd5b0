import type { Command } from "commander";
import { evaluateOpeOnSim, formatOpeOnSim } from "../../../evals/ope-sim.js";
import { registerSimEval } from "./sim-eval-command.js";

export function registerEvalOpe(evalCmd: Command): void {
  registerSimEval(evalCmd, {
    name: "ope",
    description:
      "Off-policy evaluation on the simulator: log bandit decisions with their propensities, estimate alternative policies (5% less discount, email only, push at 10%) by IPW, SNIPW and DR, and compare with the ground truth",
    customers: 5000,
    progress: { label: "simulate", total: (customers) => customers },
    run: ({ customers, seed, onProgress }) => evaluateOpeOnSim({ customers, seed, onProgress }),
    format: formatOpeOnSim,
  });
}
