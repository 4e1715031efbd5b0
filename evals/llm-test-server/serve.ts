/**
 * Serves the local OpenAI-compatible test server, answering Pulse's agents the way a well-behaved
 * model would (from their prompts alone), so the LLM path can be tried end to end without a hosted
 * model. Prints the base URL; Ctrl-C prints the calls and tokens it served, then stops.
 *   npx tsx evals/llm-test-server/serve.ts [port=8787]
 *   OPENAI_API_KEY=local OPENAI_BASE_URL=http://127.0.0.1:8787/v1 npm run demo
 */
import { agentResponder } from "../../workflows/cycle/testing/agent-responder.js";
import { startTestLlmServer } from "./server.js";

const port = Number(process.argv[2] ?? 8787);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  process.stderr.write(`serve: "${process.argv[2]}" is not a port number (0-65535)\n`);
  process.exit(2);
}
const server = await startTestLlmServer({ responder: agentResponder(), port, model: "gpt-4o-mini" });
process.stdout.write(`OpenAI-compatible test server at ${server.url} (Ctrl-C stops it)\n`);
process.once("SIGINT", () => {
  const usage = server.usageTotals();
  const chats = server.requests.filter((r) => r.body).length;
  process.stdout.write(`\nserved ${chats} chat requests, ${usage.prompt_tokens} prompt + ${usage.completion_tokens} completion tokens\n`);
  void server.close().then(() => process.exit(0));
});
