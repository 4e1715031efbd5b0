import { Command, Option } from "commander";
import { InputError } from "../../../core/errors.js";
import { FORMATS, INGEST_KINDS, type IngestKind } from "../../../ingest/formats.js";
import { ingestCdnow } from "../../../ingest/adapters/cdnow.js";
import { ingestHillstrom } from "../../../ingest/adapters/hillstrom.js";
import { ingestFile, type IngestSummary } from "../../../ingest/ingest-file.js";
import { listQuarantine } from "../../../store/ingest-repo.js";
import { withDb } from "../context.js";
import { createProgress } from "../progress.js";
import { printResult, runAction } from "../run-action.js";

const ADAPTERS = ["cdnow", "hillstrom"] as const;
const kindsHelp = [
  ...INGEST_KINDS.map((k) => `  ${k.padEnd(13)} required columns: ${FORMATS[k].required.join(", ")}`),
  `  ${"cdnow".padEnd(13)} the CDNOW transaction log, 5-column sample or 4-column master layout (orders, then customers)`,
  `  ${"hillstrom".padEnd(13)} the Hillstrom e-mail test CSV (customers, experiment ${"hillstrom-2008"} with arms and outcomes)`,
].join("\n");

export function renderSummary(s: IngestSummary & { customers?: { inserted: number; updated: number } }): string {
  return [
    `${s.kind} from ${s.file} (${s.format}), load ${s.loadId}, ${s.seconds.toFixed(1)} s`,
    `  rows read    ${s.rowsRead}`,
    `  inserted     ${s.inserted}`,
    `  updated      ${s.updated}`,
    `  unchanged    ${s.unchanged}`,
    `  quarantined  ${s.quarantined}${s.quarantined > 0 ? `   (see: pulse quarantine --load ${s.loadId})` : ""}`,
    ...(s.customers ? [`  customers derived from orders: ${s.customers.inserted} inserted, ${s.customers.updated} updated`] : []),
  ].join("\n");
}

export function registerIngestCommand(program: Command): void {
  program
    .command("ingest")
    .description("Load a first-party data file (CSV with a header, or JSONL). Idempotent; bad rows go to the quarantine.")
    .argument("<kind>", `what the file holds: ${[...INGEST_KINDS, ...ADAPTERS].join(", ")}`)
    .argument("<file>", "path of the file (.csv, .jsonl or .ndjson)")
    .addOption(new Option("--format <format>", "override the format guessed from the file name").choices(["csv", "jsonl"]))
    .option("--batch-size <n>", "rows per database write", "10000")
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      `\nKinds and their columns (CSV header names or JSONL keys; extra columns are ignored):\n${kindsHelp}\n\nExit codes: 0 loaded (even with quarantined rows), 3 file unreadable or header not recognised, 5 database error.`,
    )
    .action(
      runAction(async (kind: string, file: string, opts: { format?: "csv" | "jsonl"; batchSize: string; json?: boolean }) => {
        const known = [...INGEST_KINDS, ...ADAPTERS] as readonly string[];
        if (!known.includes(kind)) throw new InputError(`unknown kind "${kind}"; expected one of ${known.join(", ")}`);
        const batchSize = Number(opts.batchSize);
        if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError("--batch-size must be a positive whole number");
        await withDb(async (db) => {
          const bar = createProgress(`ingest ${kind}`, 100, "%");
          try {
            const loadOptions = {
              batchSize,
              onProgress: ({
                bytesRead,
                totalBytes,
                counts,
              }: {
                bytesRead: number;
                totalBytes: number;
                counts: { rowsRead: number; quarantined: number };
              }) =>
                bar.update(
                  Math.round((100 * bytesRead) / Math.max(totalBytes, 1)),
                  `${counts.rowsRead} rows, ${counts.quarantined} quarantined`,
                ),
            };
            const summary =
              kind === "cdnow"
                ? await ingestCdnow(db, file, loadOptions)
                : kind === "hillstrom"
                  ? await ingestHillstrom(db, file, loadOptions)
                  : await ingestFile(db, kind as IngestKind, file, { ...loadOptions, format: opts.format });
            bar.stop();
            printResult(summary, opts.json, renderSummary);
          } finally {
            bar.stop();
          }
        });
      }),
    );

  program
    .command("quarantine")
    .description("List rows that ingestion set aside, with file, line number and reason")
    .option("--load <id>", "only this load (the id printed by pulse ingest)")
    .option("--limit <n>", "at most this many rows", "100")
    .option("--json", "print as JSON")
    .action(
      runAction(async (opts: { load?: string; limit: string; json?: boolean }) => {
        const loadId = opts.load === undefined ? undefined : Number(opts.load);
        if (loadId !== undefined && !Number.isInteger(loadId)) throw new InputError("--load must be a load id (a whole number)");
        await withDb(async (db) => {
          const rows = await listQuarantine(db, { loadId, limit: Number(opts.limit) });
          printResult(rows, opts.json, (rs) =>
            rs.length === 0
              ? "quarantine is empty"
              : rs.map((r) => `load ${r.loadId} ${r.fileName}:${r.lineNo}  ${r.reason}\n    ${r.raw.slice(0, 200)}`).join("\n"),
          );
        });
      }),
    );
}
