import { randomBytes } from "node:crypto";
import { appendFile, mkdir, readFile } from "node:fs/promises";
import path from "node:path";
import { createInterface } from "node:readline";
import type { Command } from "commander";
import { z } from "zod";
import { parsedRequestSchema, type ChatAgent, type ChatReply } from "../../../agents/chat/contract.js";
import { sharedIntentClassifier } from "../../../agents/chat/understanding/classify-intent.js";
import { understandOffline } from "../../../agents/chat/understanding/understand-offline.js";
import { InputError } from "../../../core/errors.js";
import type { Actor } from "../../../core/roles.js";
import { cliActor } from "../cli-actor.js";
import { withDb } from "../context.js";
import { runAction } from "../run-action.js";
import { openChatAgent } from "../chat-agent.js";

interface ChatOptions {
  parseOnly?: boolean;
  json?: boolean;
  message?: string;
  thread?: string;
}

const jsonRequestSchema = z.object({ text: z.string() });
const threadSchema = z
  .string()
  .regex(/^[A-Za-z0-9._:-]{1,128}$/, "a thread id is 1-128 letters, digits, '.', '_', ':' or '-'")
  .optional();

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

function renderReply(r: ChatReply): string {
  return r.text;
}

/** The interactive session: readline with the history of earlier sessions, one thread throughout. */
async function repl(agent: ChatAgent, actor: Actor, threadId: string, historyFile: string): Promise<void> {
  const history = await readFile(historyFile, "utf8")
    .then((t) => t.split("\n").filter(Boolean).reverse().slice(0, 500))
    .catch(() => [] as string[]);
  const rl = createInterface({ input: process.stdin, output: process.stdout, history, historySize: 500, terminal: process.stdin.isTTY });
  process.stdout.write(`Pulse chat as ${actor.id} (${actor.role}), thread ${threadId}. Ask "help"; Ctrl-D or "exit" ends.\n`);
  rl.setPrompt("pulse> ");
  rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text === "exit" || text === "quit") break;
    if (text) {
      await appendFile(historyFile, `${text.replace(/\n/g, " ")}\n`).catch(() => {});
      const reply = await agent.handle({ text, actor, threadId, via: "cli" });
      process.stdout.write(`${renderReply(reply)}\n`);
    }
    rl.prompt();
  }
  rl.close();
  process.stdout.write(`\n(thread ${threadId}: pulse chat --thread ${threadId} continues it)\n`);
}

export function registerChatCommand(program: Command): void {
  program
    .command("chat")
    .description("Talk to Pulse in plain language: an interactive session, one --message, or --parse-only to only read requests")
    .option("--message <text>", "send one request, print the answer and exit")
    .option("--thread <id>", "continue this conversation (default: a new one)")
    .option("--parse-only", "read one request a line on stdin and print what Pulse understood (intent and parameters); acts on nothing")
    .option("--json", "print JSON (the reply with --message; one object a line with --parse-only)")
    .addHelpText(
      "after",
      `
Examples:
  pulse chat                                              # interactive
  pulse chat --message "win back lapsed grocery shoppers at most 15% off"
  PULSE_ACTOR=bob pulse chat --message "approve"          # as a service account (roles: PULSE_CLI_ROLES)
  pulse chat --parse-only --json < requests.txt           # understanding only

Who asks is the operating-system user (or PULSE_ACTOR), with the role PULSE_CLI_ROLES gives them (README: identity).
Everything Pulse does from chat is in the audit log, with who asked and what they asked (redacted).`,
    )
    .action(
      runAction(async (opts: ChatOptions) => {
        if (opts.parseOnly) {
          if (opts.message !== undefined || opts.thread !== undefined)
            throw new InputError("--parse-only reads stdin; it takes no --message or --thread");
          return parseOnly(Boolean(opts.json));
        }
        const thread = threadSchema.safeParse(opts.thread);
        if (!thread.success) throw new InputError(`--thread: ${thread.error.issues[0]!.message}`);
        if (opts.message !== undefined && opts.message.trim() === "") throw new InputError("--message: empty request");
        await withDb(async (db, config) => {
          const actor = cliActor(config);
          const threadId = thread.data ?? `cli-${randomBytes(4).toString("hex")}`;
          const agent = await openChatAgent(db, config);
          try {
            if (opts.message !== undefined) {
              const reply = await agent.handle({ text: opts.message, actor, threadId, via: "cli" });
              process.stdout.write(opts.json ? `${JSON.stringify({ threadId, ...reply }, null, 2)}\n` : `${renderReply(reply)}\n`);
              if (!opts.json && !thread.data) process.stderr.write(`(thread ${threadId}: add --thread ${threadId} to continue it)\n`);
              return;
            }
            await mkdir(config.PULSE_DATA_DIR, { recursive: true });
            await repl(agent, actor, threadId, path.join(config.PULSE_DATA_DIR, "chat-history"));
          } finally {
            await agent.close();
          }
        });
      }),
    );
}
