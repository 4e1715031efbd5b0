import type { Command } from "commander";
import { redactUrl } from "../../../store/db.js";
import { loadMigrations } from "../../../store/migrate.js";
import { tableCounts } from "../../../store/ingest-repo.js";
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
          const { rows } = await d.pool.query<{ version: number; name: string }>(
            "SELECT version, name FROM schema_migrations ORDER BY version",
          );
          const info = {
            backend: d.kind,
            where: d.kind === "postgres" ? redactUrl(config.DATABASE_URL!) : config.PULSE_DATA_DIR,
            schema: d.schema,
            applied: rows.map((r) => r.name),
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
}
