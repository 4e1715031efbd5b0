import { isUtf8 } from "node:buffer";
import { createReadStream } from "node:fs";
import { parse as parseCsvSync } from "csv-parse/sync";

/** One physical record of an input file, before validation. */
export type RawRecord = { lineNo: number; raw: string; values: Record<string, unknown> } | { lineNo: number; raw: string; error: string };

export type FileFormat = "csv" | "jsonl";

export function formatFromName(fileName: string): FileFormat | undefined {
  const lower = fileName.toLowerCase();
  if (lower.endsWith(".csv")) return "csv";
  if (lower.endsWith(".jsonl") || lower.endsWith(".ndjson")) return "jsonl";
  return undefined;
}

const utf8 = new TextDecoder("utf-8", { fatal: true });
const lossy = new TextDecoder("utf-8");

/**
 * Splits a file into lines, yielded a read chunk at a time. A chunk's complete lines are decoded in
 * one go when they are all valid UTF-8, else line by line, so one bad byte sequence costs one line,
 * not the file. Memory stays bounded by the chunk size and the longest line.
 */
export async function* readLines(path: string): AsyncGenerator<Line[]> {
  let carry: Buffer | undefined;
  let lineNo = 0;
  // Small chunks: each is one turn of the event loop, so database round trips are not kept waiting.
  const stream = createReadStream(path, { highWaterMark: 1 << 16 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    const buf = carry ? Buffer.concat([carry, chunk]) : chunk;
    const out: Line[] = [];
    const end = buf.lastIndexOf(10) + 1;
    if (end > 0 && isUtf8(buf.subarray(0, end))) {
      // The usual case: every complete line of the chunk is valid UTF-8, decoded in one go.
      const text = buf.toString("utf8", 0, end);
      let start = 0;
      for (;;) {
        const nl = text.indexOf("\n", start);
        if (nl < 0) break;
        lineNo++;
        let line = text.slice(start, text.charCodeAt(nl - 1) === 13 && nl > start ? nl - 1 : nl);
        if (lineNo === 1 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
        out.push({ lineNo, text: line });
        start = nl + 1;
      }
    } else {
      // Some line is not valid UTF-8: decode line by line, so one bad line costs that line only.
      let start = 0;
      for (;;) {
        const nl = buf.indexOf(10, start);
        if (nl < 0 || nl >= end) break;
        lineNo++;
        out.push(decodeLine(buf.subarray(start, nl), lineNo));
        start = nl + 1;
      }
    }
    carry = end < buf.length ? Buffer.from(buf.subarray(end)) : undefined;
    if (out.length > 0) yield out;
  }
  if (carry && carry.length > 0) {
    lineNo++;
    yield [decodeLine(carry, lineNo)];
  }
}

type Line = { lineNo: number; text: string } | { lineNo: number; raw: string; error: string };

function decodeLine(bytes: Buffer, lineNo: number): Line {
  const end = bytes.length > 0 && bytes[bytes.length - 1] === 13 ? bytes.length - 1 : bytes.length;
  const body = bytes.subarray(0, end);
  try {
    let text = utf8.decode(body);
    if (lineNo === 1 && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { lineNo, text };
  } catch {
    return { lineNo, raw: lossy.decode(body), error: "invalid UTF-8" };
  }
}

function countQuotes(s: string): number {
  let n = 0;
  for (let i = s.indexOf('"'); i >= 0; i = s.indexOf('"', i + 1)) n++;
  return n;
}

/** Splits one CSV record; plain records take a fast path, quoted ones go through csv-parse. */
export function splitCsvRecord(text: string): string[] {
  if (!text.includes('"')) return text.split(",");
  const rows = parseCsvSync(text, { relax_column_count: true, bom: false }) as string[][];
  if (rows.length !== 1) throw new Error("malformed quoting");
  return rows[0]!;
}

/**
 * Reads CSV (first line is the header) or JSONL records, a chunk at a time. Quoted CSV fields may span lines; the
 * record's line number is the line it starts on. Blank lines are skipped.
 */
export async function* readRecords(
  path: string,
  format: FileFormat,
  onHeader: (columns: string[]) => void = () => {},
): AsyncGenerator<RawRecord[]> {
  let header: string[] | undefined;
  let pending: { lineNo: number; text: string } | undefined;
  for await (const lines of readLines(path)) {
    const out: RawRecord[] = [];
    for (const line of lines) {
      if ("error" in line) {
        if (!header && format === "csv") throw new Error(`line ${line.lineNo}: header is not valid UTF-8`);
        if (pending) {
          out.push({ lineNo: pending.lineNo, raw: `${pending.text}\n${line.raw}`, error: "invalid UTF-8" });
          pending = undefined;
        } else out.push(line);
        continue;
      }
      if (format === "jsonl") {
        if (line.text.trim() !== "") out.push(parseJsonLine(line.lineNo, line.text));
        continue;
      }
      // CSV: join physical lines while a quoted field is open.
      const current = pending ? { lineNo: pending.lineNo, text: `${pending.text}\n${line.text}` } : line;
      if (countQuotes(current.text) % 2 === 1) {
        pending = current;
        continue;
      }
      pending = undefined;
      if (!header) {
        header = splitCsvRecord(current.text).map((c) => c.trim().toLowerCase());
        onHeader(header);
        continue;
      }
      if (current.text.trim() !== "") out.push(csvRecord(current.lineNo, current.text, header));
    }
    if (out.length > 0) yield out;
  }
  if (pending) yield [{ lineNo: pending.lineNo, raw: pending.text, error: "unterminated quoted field at end of file" }];
  if (!header && format === "csv") onHeader([]);
}

function csvRecord(lineNo: number, text: string, header: string[]): RawRecord {
  let fields: string[];
  try {
    fields = splitCsvRecord(text);
  } catch (err) {
    return { lineNo, raw: text, error: `malformed CSV: ${(err as Error).message}` };
  }
  if (fields.length !== header.length) {
    return { lineNo, raw: text, error: `wrong column count: expected ${header.length}, found ${fields.length}` };
  }
  const values: Record<string, unknown> = {};
  for (let i = 0; i < header.length; i++) values[header[i]!] = fields[i];
  return { lineNo, raw: text, values };
}

function parseJsonLine(lineNo: number, text: string): RawRecord {
  try {
    const value: unknown = JSON.parse(text);
    if (value === null || typeof value !== "object" || Array.isArray(value)) {
      return { lineNo, raw: text, error: "not a JSON object" };
    }
    const values: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) values[k.toLowerCase()] = typeof v === "number" || typeof v === "boolean" ? String(v) : v;
    return { lineNo, raw: text, values };
  } catch (err) {
    return { lineNo, raw: text, error: `malformed JSON: ${(err as Error).message}` };
  }
}
