import type { Command } from "commander";
import { z } from "zod";
import { createAuditLog } from "../../../guardrails/audit.js";
import { ExitCode } from "../../../core/errors.js";
import { deadLetterPathOf, listDeadLetters, replayConnectorFromConfig, replayDeadLetters } from "../../../workflows/deliveries.js";
import { cliActor, requireCan } from "../cli-actor.js";
import { loadConfig } from "../../../core/config.js";
import { withDb } from "../context.js";
import { printResult, runAction } from "../run-action.js";

const idSchema = z.string().min(1).max(256);
const retryOptionsSchema = z
  .object({ id: z.array(idSchema).min(1).optional(), all: z.literal(true).optional(), json: z.boolean().optional() })
  .refine((o) => (o.id === undefined) !== (o.all === undefined), "either --id or --all");

const collect = (v: string, prev: string[] | undefined) => [...(prev ?? []), v];

export function registerDeliveriesCommands(program: Command): void {
  const deliveries = program
    .command("deliveries")
    .description("Webhook dead letters (messages that exhausted their retries): list them, replay them with the same Idempotency-Key");

  deliveries
    .command("list")
    .description("Open dead letters in <PULSE_DATA_DIR>/dead-letter.jsonl, one per message, oldest first")
    .option("--json", "print as JSON")
    .action(
      runAction(async (opts: { json?: boolean }) => {
        const config = loadConfig();
        requireCan(cliActor(config), "read");
        const listed = await listDeadLetters(deadLetterPathOf(config));
        printResult(listed, opts.json, ({ deadLetters, skippedLines }) =>
          [
            ...(deadLetters.length
              ? deadLetters.map(
                  (d) =>
                    `${d.id}  ${d.channel.padEnd(6)} ${d.customerId}  dead-lettered ${d.deadLetteredAt} after ${d.attempts} attempt(s)${d.incidents > 1 ? ` (${d.incidents} times)` : ""}: ${d.reason}`,
                )
              : ["no open dead letters"]),
            ...(skippedLines ? [`(${skippedLines} unreadable line(s) skipped)`] : []),
          ].join("\n"),
        );
      }),
    );

  deliveries
    .command("retry")
    .description(
      "Replay dead letters through the configured webhook with their original Idempotency-Key, so a receiver that honours it takes none twice",
    )
    .option("--id <messageId>", "a dead letter's message id (repeatable)", collect)
    .option("--all", "every open dead letter")
    .option("--json", "print as JSON")
    .addHelpText(
      "after",
      "\nEach replay is audited (kind delivery_replay). A delivered replay closes the dead letter and marks the message sent.",
    )
    .action(
      runAction(async (raw: { id?: string[]; all?: boolean; json?: boolean }) => {
        const parsed = retryOptionsSchema.safeParse(raw);
        if (!parsed.success) {
          process.stderr.write("pulse: deliveries retry needs either --id ID (repeatable) or --all, not both\n");
          return ExitCode.usage;
        }
        const opts = parsed.data;
        const config = loadConfig();
        const actor = requireCan(cliActor(config), "start_cycle", "replaying sends needs a marketer or admin role");
        const connector = replayConnectorFromConfig(config);
        try {
          return await withDb(async (db) => {
            const outcomes = await replayDeadLetters(deadLetterPathOf(config), opts.all ? { all: true } : { ids: opts.id! }, {
              db,
              audit: createAuditLog(db),
              connector,
              actor,
            });
            printResult(outcomes, opts.json, (os) =>
              os.length
                ? os
                    .map(
                      (o) => `${o.id}  ${o.outcome}${o.attempts ? ` after ${o.attempts} attempt(s)` : ""}${o.error ? `: ${o.error}` : ""}`,
                    )
                    .join("\n")
                : "no open dead letters",
            );
            return outcomes.every((o) => o.outcome === "delivered") ? 0 : 1;
          });
        } finally {
          await connector.close?.();
        }
      }),
    );
}
