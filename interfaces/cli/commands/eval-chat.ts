import type { Command } from "commander";
import { formatChatLlmCost, measureChatLlmCost } from "../../../evals/chat-llm-cost.js";
import { chatEvalPath, formatChatEval, runChatEval } from "../../../evals/chat-understanding.js";
import { printResult, runAction } from "../run-action.js";

export function registerEvalChat(evalCmd: Command): void {
  evalCmd
    .command("chat")
    .description(
      "Intent and parameter accuracy of the chat agent's offline understanding on the evaluation set (evals/data/chat/eval.jsonl)",
    )
    .option("--data <file>", "labelled requests, one JSON object a line {text, intent, params}", chatEvalPath)
    .option("--failures", "also list the misread requests")
    .option("--json", "print the report as JSON")
    .option(
      "--llm-cost",
      "instead: what the LLM path costs per request (tool-calling loop against the local test server, tokens estimated)",
    )
    .action(
      runAction(async (opts: { data: string; failures?: boolean; json?: boolean; llmCost?: boolean }) => {
        if (opts.llmCost) {
          const cost = await measureChatLlmCost({ path: opts.data });
          printResult(cost, opts.json, formatChatLlmCost);
          return;
        }
        const report = await runChatEval({ path: opts.data });
        printResult(report, opts.json, (r) => formatChatEval(r, { failures: opts.failures }));
      }),
    );
}
