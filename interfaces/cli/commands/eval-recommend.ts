import type { Command } from "commander";
import { evaluateRecommendOnSim, formatRecommendOnSim } from "../../../evals/recommend-sim.js";
import { registerSimEval } from "./sim-eval-command.js";

export function registerEvalRecommend(evalCmd: Command): void {
  registerSimEval(evalCmd, {
    name: "recommend",
    description:
      "Cross-sell recommendations (EASE, co-occurrence) against the popularity baseline on a time split of the simulator: recall@10, hit rate, and the true fit of what each recommends",
    customers: 5000,
    weeks: { default: 8, help: "weeks after history to score on" },
    progress: { label: "simulate", total: (customers) => customers },
    run: ({ customers, seed, weeks, onProgress }) => evaluateRecommendOnSim({ customers, seed, weeks: weeks!, onProgress }),
    format: formatRecommendOnSim,
  });
}
