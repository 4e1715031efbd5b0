import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "csv-parse/sync";

/** A fresh temporary directory; remove it with cleanup(). */
export function tempDir(prefix: string): string {
  return mkdtempSync(join(tmpdir(), `pulse-sim-${prefix}-`));
}

export function cleanup(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function sha256File(path: string): string {
  return createHash("sha256").update(readFileSync(path)).digest("hex");
}

/** Header and rows of a CSV file, parsed the way an ingestion would (RFC 4180). */
export function readCsv(path: string): { header: string[]; rows: Record<string, string>[] } {
  const text = readFileSync(path, "utf8");
  const records = parse(text, { relax_column_count: false }) as string[][];
  const [header, ...body] = records;
  return { header, rows: body.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))) };
}
