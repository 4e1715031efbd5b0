import { createHash } from "node:crypto";
import { access, constants, stat } from "node:fs/promises";
import path from "node:path";
import type { z } from "zod";
import { IngestFileError } from "../core/errors.js";
import type { Db } from "../store/db.js";
import { finishLoad, keyOf, quarantine, startLoad, upsertBatch, type LoadCounts, type QuarantineRow } from "../store/ingest-repo.js";
import { FORMATS, type IngestKind } from "./formats.js";
import { formatFromName, readRecords, type FileFormat, type RawRecord } from "./read-records.js";

export interface IngestSummary extends LoadCounts {
  loadId: number;
  kind: IngestKind;
  file: string;
  format: FileFormat;
  seconds: number;
}

export interface IngestOptions {
  format?: FileFormat;
  batchSize?: number;
  /** Called after every batch with bytes read so far, for progress bars. */
  onProgress?: (p: { bytesRead: number; totalBytes: number; counts: LoadCounts }) => void;
}

/** Applies the transformations a kind needs before validation (raw contact data is hashed here). */
function prepare(kind: IngestKind, values: Record<string, unknown>): Record<string, unknown> {
  if (kind !== "customers") return values;
  const out = { ...values };
  for (const [raw, hashed] of [["email", "email_hash"], ["phone", "phone_hash"]] as const) {
    const v = out[raw];
    if (typeof v === "string" && v.trim() !== "" && !out[hashed]) {
      const normal = raw === "email" ? v.trim().toLowerCase() : v.replace(/[^\d+]/g, "");
      out[hashed] = createHash("sha256").update(normal).digest("hex");
    }
    delete out[raw];
  }
  return out;
}

function describeIssues(error: z.ZodError): string {
  const seen = new Set<string>();
  for (const issue of error.issues) {
    const field = issue.path.join(".") || "row";
    if ([...seen].some((s) => s.startsWith(`${field}:`))) continue;
    seen.add(`${field}: ${issue.message}`);
  }
  return [...seen].join("; ");
}

/** Header lines of orders repeat on every line of the order; the first line in a batch sets them. */
const HEADER_FIELDS = ["customer_id", "ordered_at", "channel"] as const;

/**
 * Loads one file of one kind. Bad rows never abort the load: they go to the quarantine with their
 * line number, raw text and reason. Only an unreadable file or an unknown header throws.
 */
export async function ingestFile(db: Db, kind: IngestKind, file: string, options: IngestOptions = {}): Promise<IngestSummary> {
  const started = Date.now();
  const spec = FORMATS[kind];
  const format = options.format ?? formatFromName(file);
  if (!format) throw new IngestFileError(`${file}: cannot tell the format from the name; use --format csv|jsonl`);
  try {
    await access(file, constants.R_OK);
  } catch (err) {
    throw new IngestFileError(`${file}: cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`, { cause: err });
  }
  const totalBytes = (await stat(file)).size;
  const fileName = path.basename(file);
  const batchSize = options.batchSize ?? 5000;

  let headerError: string | undefined;
  const onHeader = (columns: string[]) => {
    const missing = spec.required.filter((c) => !columns.includes(c));
    if (missing.length > 0) {
      headerError = `${file}: header not recognised for ${kind}: missing ${missing.join(", ")}. Expected a CSV header with ${spec.required.join(", ")} (optional: ${spec.columns.filter((c) => !spec.required.includes(c)).join(", ") || "none"})${columns.length ? `; found ${columns.join(", ")}` : "; the file is empty"}`;
    }
  };

  const loadId = await startLoad(db, kind, fileName, format);
  const counts: LoadCounts = { rowsRead: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0 };
  let bytesRead = 0;

  let rows: Record<string, unknown>[] = [];
  let lines: RawRecord[] = [];
  let bad: QuarantineRow[] = [];
  let inBatch = new Map<string, number>();
  let headers = new Map<string, string>();
  let writing: Promise<void> = Promise.resolve();

  const flush = () => {
    const batchRows = rows;
    const batchLines = lines;
    const batchBad = bad;
    rows = [];
    lines = [];
    bad = [];
    inBatch = new Map();
    headers = new Map();
    const previous = writing;
    writing = (async () => {
      await previous;
      if (batchRows.length > 0) {
        const result = await upsertBatch(db, kind, loadId, batchRows);
        counts.inserted += result.inserted;
        counts.updated += result.updated;
        counts.unchanged += result.unchanged;
        if (result.duplicateKeys.size > 0) {
          batchRows.forEach((r, i) => {
            if (result.duplicateKeys.has(keyOf(kind, r))) {
              batchBad.push({ lineNo: batchLines[i]!.lineNo, raw: batchLines[i]!.raw, reason: "duplicate: same key as an earlier line of this file" });
            }
          });
        }
      }
      await quarantine(db, loadId, kind, fileName, batchBad);
      counts.quarantined += batchBad.length;
      options.onProgress?.({ bytesRead, totalBytes, counts });
    })();
  };

  try {
    outer: for await (const chunk of readRecords(file, format, onHeader)) for (const record of chunk) {
      if (headerError) break outer;
      counts.rowsRead++;
      bytesRead += Buffer.byteLength(record.raw) + 1;
      if ("error" in record) {
        bad.push({ lineNo: record.lineNo, raw: record.raw, reason: record.error });
      } else {
        const parsed = spec.schema.safeParse(prepare(kind, record.values));
        if (!parsed.success) {
          bad.push({ lineNo: record.lineNo, raw: record.raw, reason: describeIssues(parsed.error) });
        } else {
          const row = parsed.data as Record<string, unknown>;
          const key = keyOf(kind, row);
          const first = inBatch.get(key);
          if (first !== undefined) {
            bad.push({ lineNo: record.lineNo, raw: record.raw, reason: `duplicate: same key as line ${first}` });
          } else if (kind === "orders" && conflictsWithHeader(row, headers)) {
            bad.push({ lineNo: record.lineNo, raw: record.raw, reason: "order header (customer_id, ordered_at, channel) differs from an earlier line of the same order" });
          } else {
            inBatch.set(key, record.lineNo);
            rows.push(row);
            lines.push(record);
          }
        }
      }
      if (rows.length + bad.length >= batchSize) {
        // One batch is written while the next is parsed; waiting for the previous write first keeps
        // at most two batches in memory, so memory stays flat whatever the file size.
        await writing;
        flush();
      }
    }
    if (headerError) {
      await finishLoad(db, loadId, "failed", counts);
      throw new IngestFileError(headerError);
    }
    flush();
    await writing;
  } catch (err) {
    if (err instanceof IngestFileError) throw err;
    await writing.catch(() => {});
    await finishLoad(db, loadId, "failed", counts).catch(() => {});
    if ((err as Error).message?.includes("header is not valid UTF-8")) throw new IngestFileError(`${file}: ${(err as Error).message}`);
    throw err;
  }
  await finishLoad(db, loadId, "done", counts);
  return { loadId, kind, file, format, seconds: (Date.now() - started) / 1000, ...counts };
}

function conflictsWithHeader(row: Record<string, unknown>, headers: Map<string, string>): boolean {
  const id = String(row.order_id);
  const signature = HEADER_FIELDS.map((f) => (row[f] instanceof Date ? (row[f] as Date).toISOString() : String(row[f]))).join("|");
  const prior = headers.get(id);
  if (prior === undefined) {
    headers.set(id, signature);
    return false;
  }
  return prior !== signature;
}
