import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { FORMATS, type IngestKind } from "../ingest/formats.js";
import { CsvFileWriter } from "./csv.js";
import type { StepResult } from "./world.js";

export type StepFileKind = "responses" | "orders" | "events" | "consents";
export const STEP_FILE_KINDS: readonly StepFileKind[] = ["responses", "orders", "events", "consents"];

export interface StepFiles {
  files: Record<StepFileKind, string>;
  rowCounts: Record<StepFileKind, number>;
}

function writeValue(w: CsvFileWriter, v: unknown): void {
  if (v === undefined || v === null) return;
  if (v instanceof Date) w.iso(v.getTime());
  else if (typeof v === "number") {
    if (Number.isInteger(v)) w.int(v);
    else w.money(v);
  } else w.text(String(v));
}

async function writeRows(path: string, kind: IngestKind, rows: readonly object[]): Promise<number> {
  const columns = FORMATS[kind].columns;
  const w = new CsvFileWriter(path, columns);
  try {
    for (const row of rows) {
      const r = row as Record<string, unknown>;
      for (let i = 0; i < columns.length; i++) {
        if (i > 0) w.sep();
        writeValue(w, r[columns[i]]);
      }
      w.end();
      if (w.full) await w.flush();
    }
    await w.close();
  } catch (err) {
    w.destroy();
    throw err;
  }
  return w.rows;
}

/**
 * Writes what a step produced as ingestion files (same formats as generateWorld), so results come
 * back into Pulse through ingestion: `${prefix}responses.csv`, orders, events, consents in `dir`.
 */
export async function writeStepFiles(result: StepResult, dir: string, options: { prefix?: string } = {}): Promise<StepFiles> {
  await mkdir(dir, { recursive: true });
  const prefix = options.prefix ?? "";
  const files = {} as Record<StepFileKind, string>;
  const rowCounts = {} as Record<StepFileKind, number>;
  for (const kind of STEP_FILE_KINDS) {
    const path = join(dir, `${prefix}${kind}.csv`);
    files[kind] = path;
    rowCounts[kind] = await writeRows(path, kind, result[kind]);
  }
  return { files, rowCounts };
}
