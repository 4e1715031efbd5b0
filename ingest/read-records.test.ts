import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readLines, readRecords, type RawRecord } from "./read-records.js";

const dir = mkdtempSync(path.join(tmpdir(), "pulse-read-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;

function write(content: Buffer | string): string {
  const file = path.join(dir, `f${++files}`);
  writeFileSync(file, content);
  return file;
}

async function linesOf(file: string) {
  const out: ({ lineNo: number; text: string } | { lineNo: number; raw: string; error: string })[] = [];
  for await (const chunk of readLines(file)) out.push(...chunk);
  return out;
}

async function recordsOf(file: string, format: "csv" | "jsonl" = "csv"): Promise<RawRecord[]> {
  const out: RawRecord[] = [];
  for await (const chunk of readRecords(file, format)) out.push(...chunk);
  return out;
}

describe("readLines", () => {
  it("returns every line with its number, whatever the text and line endings, across chunk boundaries", async () => {
    // Long lines of any Unicode text push multi-byte characters across the 64 KiB read chunks.
    const line = fc.string({ unit: "grapheme", maxLength: 3000 }).map((s) => s.replace(/[\r\n]/g, " "));
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 60 }),
        fc.integer({ min: 21_000, max: 22_500 }),
        fc.boolean(),
        fc.boolean(),
        async (rest, pad, crlf, finalNewline) => {
          // A first line of 63-67 KB of 3-byte characters puts the first chunk boundary near the lines after it.
          const lines = ["€".repeat(pad), ...rest];
          const eol = crlf ? "\r\n" : "\n";
          const file = write(lines.join(eol) + (finalNewline ? eol : ""));
          const got = await linesOf(file);
          // A last empty line without a newline is no line at all.
          const expected = !finalNewline && lines.at(-1) === "" ? lines.slice(0, -1) : lines;
          expect(got).toEqual(expected.map((text, i) => ({ lineNo: i + 1, text: i === 0 ? text.replace(/^\ufeff/, "") : text })));
        },
      ),
      { numRuns: 40 },
    );
  });

  it("drops a byte-order mark at the start of the file only", async () => {
    expect(await linesOf(write("\ufeffa,b\n\ufeffc\n"))).toEqual([
      { lineNo: 1, text: "a,b" },
      { lineNo: 2, text: "\ufeffc" },
    ]);
  });

  it("sets apart only the lines that are not valid UTF-8, keeping the numbering of the rest", async () => {
    const good = "é".repeat(40_000); // 80 KB: the chunk holding the bad line also holds good ones
    const file = write(
      Buffer.concat([Buffer.from(`${good}\nok 2\n`), Buffer.from([0x61, 0xe9, 0x28, 0x0a]), Buffer.from(`ok 4\n${good}\n`)]),
    );
    const got = await linesOf(file);
    expect(got.map((l) => ("error" in l ? `${l.lineNo}: ${l.error}` : `${l.lineNo}: ${l.text.slice(0, 4)}`))).toEqual([
      "1: éééé",
      "2: ok 2",
      "3: invalid UTF-8",
      "4: ok 4",
      "5: éééé",
    ]);
    expect(got[2]).toMatchObject({ raw: "a\ufffd(" });
  });
});

describe("readRecords", () => {
  it("reads CSV with quoted fields, CRLF endings and a quoted line break, numbering records by their first line", async () => {
    const file = write('id,note\r\n1,"a, b"\r\n2,"two\r\nlines"\r\n3,plain\r\n');
    const got = await recordsOf(file);
    expect(got).toEqual([
      { lineNo: 2, raw: '1,"a, b"', values: { id: "1", note: "a, b" } },
      { lineNo: 3, raw: '2,"two\nlines"', values: { id: "2", note: "two\nlines" } },
      { lineNo: 5, raw: "3,plain", values: { id: "3", note: "plain" } },
    ]);
  });
});
