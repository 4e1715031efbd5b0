import type { Db } from "../store/db.js";
import { analyzeTables } from "../store/analyze.js";
import { finishLoad, quarantine, startLoad, type BatchResult, type LoadCounts, type QuarantineRow } from "../store/ingest-repo.js";
import type { RawRecord } from "./read-records.js";

/**
 * One source of rows for a load: Pulse's own file formats and the adapters for public data sets
 * all go through the same loop, so they share batching, quarantine, idempotency and progress.
 */
export interface LoadSource<Row> {
  /** Label recorded in ingest_loads and the quarantine (a kind, or an adapter name). */
  label: string;
  fileName: string;
  format: string;
  totalBytes: number;
  records: AsyncIterable<RawRecord[]>;
  /** Checked after the first chunk is read: an unknown header stops the load. */
  headerError?: () => string | undefined;
  /** Turns a record's values into a row, or says why it cannot. */
  validate(values: Record<string, unknown>, lineNo: number): { row: Row } | { error: string };
  key(row: Row): string;
  /** Checks a row against the others of its batch (e.g. order header consistency). */
  checkInBatch?(row: Row, batch: Map<string, unknown>): string | undefined;
  write(rows: Row[], loadId: number): Promise<BatchResult>;
  /** Tables the load writes: their planner statistics are refreshed when it changed any row. */
  tables?: readonly string[];
}

export interface LoadSummary extends LoadCounts {
  loadId: number;
  seconds: number;
}

export interface RunLoadOptions {
  batchSize?: number;
  onProgress?: (p: { bytesRead: number; totalBytes: number; counts: LoadCounts }) => void;
}

export class HeaderError extends Error {}

export async function runLoad<Row>(db: Db, source: LoadSource<Row>, options: RunLoadOptions = {}): Promise<LoadSummary> {
  const started = Date.now();
  const batchSize = options.batchSize ?? 10_000;
  const loadId = await startLoad(db, source.label, source.fileName, source.format);
  const counts: LoadCounts = { rowsRead: 0, inserted: 0, updated: 0, unchanged: 0, quarantined: 0 };
  let bytesRead = 0;

  let rows: Row[] = [];
  let lines: RawRecord[] = [];
  let bad: QuarantineRow[] = [];
  let inBatch = new Map<string, number>();
  let batchState = new Map<string, unknown>();
  let writing: Promise<void> = Promise.resolve();

  const flush = () => {
    const batchRows = rows;
    const batchLines = lines;
    const batchBad = bad;
    rows = [];
    lines = [];
    bad = [];
    inBatch = new Map();
    batchState = new Map();
    const previous = writing;
    writing = (async () => {
      await previous;
      if (batchRows.length > 0) {
        const result = await source.write(batchRows, loadId);
        counts.inserted += result.inserted;
        counts.updated += result.updated;
        counts.unchanged += result.unchanged;
        if (result.duplicateKeys.size > 0) {
          batchRows.forEach((r, i) => {
            if (result.duplicateKeys.has(source.key(r))) {
              batchBad.push({
                lineNo: batchLines[i]!.lineNo,
                raw: batchLines[i]!.raw,
                reason: "duplicate: same key as an earlier line of this file",
              });
            }
          });
        }
      }
      await quarantine(db, loadId, source.label, source.fileName, batchBad);
      counts.quarantined += batchBad.length;
      options.onProgress?.({ bytesRead, totalBytes: source.totalBytes, counts });
    })();
  };

  try {
    for await (const chunk of source.records) {
      const headerError = source.headerError?.();
      if (headerError) throw new HeaderError(headerError);
      for (const record of chunk) {
        // Let the database's replies in between: each round trip of the batch being written would
        // otherwise wait for the whole chunk to be parsed.
        if ((counts.rowsRead & 255) === 255) await new Promise<void>((resolve) => setImmediate(resolve));
        counts.rowsRead++;
        bytesRead += Buffer.byteLength(record.raw) + 1;
        if ("error" in record) {
          bad.push({ lineNo: record.lineNo, raw: record.raw, reason: record.error });
        } else {
          const v = source.validate(record.values, record.lineNo);
          if ("error" in v) {
            bad.push({ lineNo: record.lineNo, raw: record.raw, reason: v.error });
          } else {
            const key = source.key(v.row);
            const first = inBatch.get(key);
            const conflict = first === undefined ? source.checkInBatch?.(v.row, batchState) : undefined;
            if (first !== undefined) {
              bad.push({ lineNo: record.lineNo, raw: record.raw, reason: `duplicate: same key as line ${first}` });
            } else if (conflict) {
              bad.push({ lineNo: record.lineNo, raw: record.raw, reason: conflict });
            } else {
              inBatch.set(key, record.lineNo);
              rows.push(v.row);
              lines.push(record);
            }
          }
        }
        if (rows.length + bad.length >= batchSize) {
          // One batch is written while the next is parsed; waiting for the previous write first
          // keeps at most two batches in memory, whatever the file size.
          await writing;
          flush();
        }
      }
    }
    const headerError = source.headerError?.();
    if (headerError) throw new HeaderError(headerError);
    flush();
    await writing;
  } catch (err) {
    await writing.catch(() => {});
    await finishLoad(db, loadId, "failed", counts).catch(() => {});
    throw err;
  }
  await finishLoad(db, loadId, "done", counts);
  if (counts.inserted + counts.updated > 0 && source.tables) await analyzeTables(db, source.tables);
  return { loadId, seconds: (Date.now() - started) / 1000, ...counts };
}
