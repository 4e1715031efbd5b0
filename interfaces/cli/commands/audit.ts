import { once } from "node:events";
import { createWriteStream } from "node:fs";
import type { Writable } from "node:stream";
import { Command, Option } from "commander";
import { systemClock } from "../../../core/clock.js";
import { ExitCode, InputError } from "../../../core/errors.js";
import { EXPORT_FORMATS, exportAuditLog, parseExportRange, type ExportFormat } from "../../../guardrails/audit-export.js";
import { verifiedCount, verifyAuditLog, type AuditVerifyResult } from "../../../guardrails/audit-verify.js";
import {
  checkpointFileFor,
  checkpointKeyFor,
  verifyAuditWithCheckpoints,
  writeAuditCheckpoint,
  type CheckpointVerifyResult,
} from "../../../guardrails/audit-checkpoint-file.js";
import { renderWhy, whyCustomer } from "../../../guardrails/audit-why.js";
import { withDb } from "../context.js";
import { runAction } from "../run-action.js";

export interface AuditCommandDeps {
  /** Opens the database for one command (tests pass one bound to a test database). */
  withDb?: typeof withDb;
  /** Where results go (default process.stdout). */
  out?: Writable;
}

export function renderVerify(r: AuditVerifyResult): string {
  return r.ok ? `audit verify: OK (${verifiedCount(r)})` : `audit verify: BROKEN at seq ${r.break!.seq}: ${r.break!.message}`;
}

export function renderCheckpointVerify(r: CheckpointVerifyResult, file: string): string {
  const lines = [renderVerify(r.chain)];
  lines.push(
    r.ok
      ? `checkpoints: OK (${r.checkpoints} in ${file}; the latest, at ${r.latest?.at ?? "-"}, is seq ${r.latest?.seq ?? 0} and still in the log)`
      : `checkpoints: FAILED (${r.problems.length} problem${r.problems.length === 1 ? "" : "s"} in ${file})`,
  );
  for (const p of r.problems) lines.push(`  ${p.kind}: ${p.message}`);
  return lines.join("\n");
}

async function write(out: Writable, chunk: string): Promise<void> {
  if (!out.write(chunk)) await once(out, "drain");
}

export function registerAuditCommands(program: Command, deps: AuditCommandDeps = {}): void {
  const open = deps.withDb ?? withDb;
  const out = () => deps.out ?? process.stdout;
  const print = (json: boolean | undefined, value: unknown, text: string) =>
    write(out(), json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);

  const audit = program.command("audit").description("The append-only, hash-chained audit log: verify it, export it, explain a customer");

  audit
    .command("verify")
    .description("Walk the whole chain in seq order, recompute every hash, and name the first broken entry")
    .option(
      "--checkpoint <file>",
      "also check the signed checkpoints in this file (pulse audit checkpoint): detects a removed tail or a rewritten chain",
    )
    .option(
      "--key-file <file>",
      "the checkpoint key (an Ed25519 public or private PEM, or an HMAC secret); default PULSE_AUDIT_KEY_FILE or PULSE_AUDIT_KEY",
    )
    .option("--json", "print the result as JSON")
    .addHelpText(
      "after",
      "\nWithout --checkpoint, a log whose newest entries were deleted, or that was rewritten and re-hashed, still verifies: the chain alone cannot tell.\nExit codes: 0 the chain (and every checkpoint) holds, 1 it is broken (the first broken entry, or each failing checkpoint, is named), 3 unreadable file or key, 4 no key configured, 5 database error.",
    )
    .action(
      runAction(async (opts: { checkpoint?: string; keyFile?: string; json?: boolean }) => {
        if (opts.checkpoint) {
          const file = opts.checkpoint;
          const r = await open(async (db, config) => verifyAuditWithCheckpoints(db, file, await checkpointKeyFor(config, opts.keyFile)));
          await print(opts.json, r, renderCheckpointVerify(r, file));
          return r.ok ? ExitCode.ok : ExitCode.failure;
        }
        const result = await open((db) => verifyAuditLog(db));
        await print(opts.json, result, renderVerify(result));
        return result.ok ? ExitCode.ok : ExitCode.failure;
      }),
    );

  audit
    .command("checkpoint")
    .description(
      "Sign the chain's head (entry seq, hash, time) and append it to a file kept outside the database; pulse worker does this periodically",
    )
    .option(
      "--out <file>",
      "the checkpoint file (JSON lines, appended); default PULSE_AUDIT_CHECKPOINT_FILE or <data dir>/audit-checkpoints.jsonl",
    )
    .option(
      "--key-file <file>",
      "an Ed25519 private key (PEM) or a file holding an HMAC secret; default PULSE_AUDIT_KEY_FILE, else PULSE_AUDIT_KEY (HMAC-SHA256)",
    )
    .option("--json", "print the checkpoint as JSON")
    .addHelpText(
      "after",
      "\nKeep the file where whoever can write the database cannot (another host, a write-once bucket); verify with pulse audit verify --checkpoint FILE.\nExit codes: 0 written, 3 unreadable key file, 4 no key configured, 5 database error.",
    )
    .action(
      runAction(async (opts: { out?: string; keyFile?: string; json?: boolean }) => {
        const { checkpoint, file } = await open(async (db, config) => {
          const key = await checkpointKeyFor(config, opts.keyFile);
          const target = checkpointFileFor(config, opts.out);
          return { checkpoint: await writeAuditCheckpoint(db, key, target, systemClock.now()), file: target };
        });
        await print(
          opts.json,
          checkpoint,
          `audit checkpoint: seq ${checkpoint.seq} (${checkpoint.hash.slice(0, 12)}…) signed ${checkpoint.alg} by ${checkpoint.keyId}, appended to ${file}`,
        );
      }),
    );

  audit
    .command("export")
    .description("Stream entries with --from <= at < --to, in seq order, as JSON lines or CSV (hashes included)")
    .requiredOption("--from <iso>", "start of the range (ISO-8601 date or instant, inclusive)")
    .requiredOption("--to <iso>", "end of the range (ISO-8601 date or instant, exclusive)")
    .addOption(new Option("--format <format>", "output format").choices([...EXPORT_FORMATS]).default("jsonl"))
    .option("--out <file>", "write to this file instead of standard output")
    .addHelpText(
      "after",
      "\nCSV columns: seq,at,kind,actor,cycle_id,customer_id,entry,prev_hash,hash (entry is JSON).\nExit codes: 0 exported (also when the reader closes the pipe early), 3 bad range or --out not writable, 5 database error.",
    )
    .action(
      runAction(async (opts: { from: string; to: string; format: ExportFormat; out?: string }) => {
        const range = parseExportRange(opts.from, opts.to);
        await open(async (db) => {
          const dest: Writable = opts.out ? createWriteStream(opts.out) : out();
          const failed = new Promise<never>((_, reject) => dest.on("error", reject));
          failed.catch(() => {});
          const work = (async () => {
            for await (const chunk of exportAuditLog(db, { ...range, format: opts.format })) await write(dest, chunk);
            if (opts.out) {
              dest.end();
              await once(dest, "finish");
            }
          })();
          try {
            await Promise.race([work, failed]);
          } catch (err) {
            const code = (err as NodeJS.ErrnoException).code;
            // The reader went away (e.g. `| head`): stop quietly, as Unix tools do.
            if (code === "EPIPE" && !opts.out) return;
            if (opts.out && typeof code === "string") throw new InputError(`--out ${opts.out}: ${(err as Error).message}`, { cause: err });
            throw err;
          }
        });
      }),
    );

  audit
    .command("why")
    .description("Explain, from the audit log alone, why a customer did or did not get a message")
    .argument("<customer>", "the customer id")
    .option("--cycle <id>", "the cycle to explain (default: the latest with entries about the customer)")
    .option("--json", "print the explanation as JSON")
    .addHelpText("after", "\nExit codes: 0 explained, 1 the log has no entries about this customer (in that cycle), 5 database error.")
    .action(
      runAction(async (customer: string, opts: { cycle?: string; json?: boolean }) => {
        const report = await open((db) => whyCustomer(db, customer, { cycleId: opts.cycle }));
        await print(opts.json, report, renderWhy(report));
      }),
    );
}
