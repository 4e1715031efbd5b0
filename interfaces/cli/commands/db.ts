import type { Command } from "commander";
import { redactUrl } from "../../../store/db.js";
import { appliedMigrations, loadMigrations } from "../../../store/migrate.js";
import { tableCounts } from "../../../store/ingest-repo.js";
import { systemClock } from "../../../core/clock.js";
import { createAuditLog } from "../../../guardrails/audit.js";
import { pruneByPolicy } from "../../../workflows/retention.js";
import { cliActor, requireCan } from "../cli-actor.js";
import { withDb } from "../context.js";
import { printResult, runAction } from "../run-action.js";

export function registerDbCommands(program: Command): void {
  const db = program.command("db").description("Database: migrations and status");
  db.command("migrate")
    .description("Apply pending migrations (also done automatically on every start)")
    .option("--json", "print as JSON")
    .action(
      runAction(async (opts: { json?: boolean }) => {
        await withDb(async (d, config) => {
          const applied = await appliedMigrations(d);
          const info = {
            backend: d.kind,
            where: d.kind === "postgres" ? redactUrl(config.DATABASE_URL!) : config.PULSE_DATA_DIR,
            schema: d.schema,
            applied: applied.map((m) => m.name),
            known: loadMigrations().map((m) => m.name),
          };
          printResult(
            info,
            opts.json,
            (i) =>
              `${i.backend} (${i.where}), schema ${i.schema}: ${i.applied.length} of ${i.known.length} migrations applied\n${i.applied.map((n) => `  ${n}`).join("\n")}`,
          );
        });
      }),
    );
  db.command("status")
    .description("Row counts of the main tables")
    .option("--json", "print as JSON")
    .action(
      runAction(async (opts: { json?: boolean }) => {
        await withDb(async (d) => {
          const counts = await tableCounts(d);
          printResult({ backend: d.kind, ...counts }, opts.json, (c) =>
            Object.entries(c)
              .map(([k, v]) => `${k.padEnd(20)} ${v}`)
              .join("\n"),
          );
        });
      }),
    );
  db.command("prune")
    .description(
      "Prune by the retention policy (pulse policy show: retention): the checkpoint history of cycles that have ended (each keeps its final checkpoint) and messages older than retention.messageDays (never one still queued). The audit log is never pruned. pulse worker does this on a schedule (PULSE_PRUNE_MINUTES)",
    )
    .option("--dry-run", "count what would be removed, remove nothing")
    .option("--json", "print as JSON")
    .addHelpText("after", "\nAdmins only (PULSE_CLI_ROLES); a real run is recorded in the audit log with who ran it and the counts.")
    .action(
      runAction(async (opts: { dryRun?: boolean; json?: boolean }) => {
        await withDb(async (d, config) => {
          const actor = requireCan(cliActor(config), "admin", "only an admin prunes data");
          const r = await pruneByPolicy({ db: d, audit: createAuditLog(d), clock: systemClock }, actor.id, { dryRun: opts.dryRun });
          printResult(
            r,
            opts.json,
            (x) =>
              `${x.dryRun ? "would prune" : "pruned"} (policy v${x.policyVersion}): ${x.counts.checkpoints} checkpoints, ${x.counts.checkpointWrites} checkpoint writes and ${x.counts.checkpointBlobs} blobs of ${x.counts.cycles} ended cycles; ${x.counts.messages} messages created before ${x.messagesBefore}; audit log untouched`,
          );
        });
      }),
    );
}
