import { createInterface } from "node:readline";
import type { Command } from "commander";
import { z } from "zod";
import { parsedRequestSchema } from "../../../agents/chat/contract.js";
import { sharedIntentClassifier } from "../../../agents/chat/understanding/classify-intent.js";
import { understandOffline } from "../../../agents/chat/understanding/understand-offline.js";
import { runAction } from "../run-action.js";

interface ChatOptions {
  parseOnly?: boolean;
  json?: boolean;
  message?: string;
  thread?: string;
}

const jsonRequestSchema = z.object({ text: z.string() });

/** A line is the request itself, or a JSON object with its `text` (as in examples.jsonl). */
function requestText(line: string): string {
  if (!line.trimStart().startsWith("{")) return line;
  try {
    const r = jsonRequestSchema.safeParse(JSON.parse(line));
    return r.success ? r.data.text : line;
  } catch {
    return line;
  }
}

/** `--parse-only`: one request a line on stdin, one `{intent, params}` a line on stdout; acts on nothing. */
async function parseOnly(json: boolean): Promise<void> {
  // A reader that stops early (`| head`) ends the run, not an error.
  process.stdout.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(0);
    throw err;
  });
  const classifier = await sharedIntentClassifier();
  const lines = createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    const { intent, params } = await understandOffline(requestText(line), { now: new Date(), classifier });
    const parsed = parsedRequestSchema.parse({ intent, params });
    process.stdout.write(json ? `${JSON.stringify(parsed)}\n` : `${parsed.intent}\t${JSON.stringify(parsed.params)}\n`);
  }
}

export function registerChatCommand(program: Command): void {
  program
    .command("chat")
    .description("Talk to Pulse in plain language (an interactive session, one --message, or --parse-only to only read requests)")
    .option("--parse-only", "read one request a line on stdin and print what Pulse understood (intent and parameters); acts on nothing")
    .option("--json", "print JSON (one object a line with --parse-only)")
    .action(
      runAction(async (opts: ChatOptions) => {
        if (opts.parseOnly) return parseOnly(Boolean(opts.json));
        process.stderr.write("pulse: the conversational agent is not wired yet; use --parse-only\n");
        return 2;
      }),
    );
}
