import { createHash } from "node:crypto";
import { access, constants, stat } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { IngestFileError } from "../core/errors.js";
import type { Db } from "../store/db.js";
import { keyOf, tablesOf, upsertBatch } from "../store/ingest-repo.js";
import { FORMATS, type IngestKind } from "./formats.js";
import { formatFromName, readRecords, type FileFormat } from "./read-records.js";
import { HeaderError, runLoad, type LoadSummary, type RunLoadOptions } from "./run-load.js";

export interface IngestSummary extends LoadSummary {
  kind: string;
  file: string;
  format: string;
}

export interface IngestOptions extends RunLoadOptions {
  format?: FileFormat;
}

/** Checks a file can be read and returns its size; the one error a load may stop for, besides its header. */
export async function readableSize(file: string): Promise<number> {
  try {
    await access(file, constants.R_OK);
    const s = await stat(file);
    if (!s.isFile()) throw new IngestFileError(`${file}: not a regular file`);
    return s.size;
  } catch (err) {
    if (err instanceof IngestFileError) throw err;
    throw new IngestFileError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`, { cause: err });
  }
}

/** Applies the transformations a kind needs before validation (raw contact data is hashed here). */
function prepare(kind: IngestKind, values: Record<string, unknown>): Record<string, unknown> {
  if (kind !== "customers") return values;
  const out = { ...values };
  for (const [raw, hashed] of [
    ["email", "email_hash"],
    ["phone", "phone_hash"],
  ] as const) {
    const v = out[raw];
    if (typeof v === "string" && v.trim() !== "" && !out[hashed]) {
      const normal = raw === "email" ? v.trim().toLowerCase() : v.replace(/[^\d+]/g, "");
      out[hashed] = createHash("sha256").update(normal).digest("hex");
    }
    delete out[raw];
  }
  return out;
}

/** One reason per field, the first zod gives. */
export function describeIssues(error: z.ZodError): string {
  const byField = new Map<string, string>();
  for (const issue of error.issues) {
    const field = issue.path.join(".") || "row";
    if (!byField.has(field)) byField.set(field, issue.message);
  }
  return [...byField].map(([f, m]) => `${f}: ${m}`).join("; ");
}

/** Order header fields repeat on every line of an order; they must agree within a batch. */
export function orderHeaderConflict(row: Record<string, unknown>, batch: Map<string, unknown>): string | undefined {
  const id = String(row.order_id);
  const at = row.ordered_at instanceof Date ? row.ordered_at.getTime() : String(row.ordered_at);
  const prior = batch.get(id) as [unknown, unknown, unknown] | undefined;
  if (prior === undefined) {
    batch.set(id, [row.customer_id, at, row.channel]);
    return undefined;
  }
  return prior[0] === row.customer_id && prior[1] === at && prior[2] === row.channel
    ? undefined
    : "order header (customer_id, ordered_at, channel) differs from an earlier line of the same order";
}

/**
 * Loads one file of one of Pulse's kinds. Bad rows never abort the load: they go to the quarantine
 * with their line number, raw text and reason. Only an unreadable file or an unknown header throws.
 */
export async function ingestFile(db: Db, kind: IngestKind, file: string, options: IngestOptions = {}): Promise<IngestSummary> {
  const spec = FORMATS[kind];
  const format = options.format ?? formatFromName(file);
  if (!format) throw new IngestFileError(`${file}: cannot tell the format from the name; use --format csv|jsonl`);
  const totalBytes = await readableSize(file);

  let headerError: string | undefined;
  const onHeader = (columns: string[]) => {
    const missing = spec.required.filter((c) => !columns.includes(c));
    if (missing.length > 0) {
      const optional = spec.columns.filter((c) => !spec.required.includes(c));
      headerError = `${file}: header not recognised for ${kind}: missing ${missing.join(", ")}. Expected a CSV header with ${spec.required.join(", ")} (optional: ${optional.join(", ") || "none"})${columns.length ? `; found ${columns.join(", ")}` : "; the file is empty"}`;
    }
  };

  const writeState = { direct: true };
  try {
    const summary = await runLoad<Record<string, unknown>>(
      db,
      {
        label: kind,
        fileName: path.basename(file),
        format,
        totalBytes,
        records: readRecords(file, format, onHeader),
        headerError: () => headerError,
        validate: (values) => {
          const parsed = spec.parse(prepare(kind, values));
          return parsed.success ? { row: parsed.data as Record<string, unknown> } : { error: describeIssues(parsed.error) };
        },
        key: (row) => keyOf(kind, row),
        checkInBatch: kind === "orders" ? orderHeaderConflict : undefined,
        write: (rows, loadId) => upsertBatch(db, kind, loadId, rows, writeState),
        tables: tablesOf(kind),
      },
      options,
    );
    return { ...summary, kind, file, format };
  } catch (err) {
    if (err instanceof HeaderError) throw new IngestFileError(err.message);
    if ((err as Error).message?.includes("header is not valid UTF-8")) throw new IngestFileError(`${file}: ${(err as Error).message}`);
    throw err;
  }
}
