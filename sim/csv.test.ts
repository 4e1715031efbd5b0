import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { CsvFileWriter, csvField, fastIso } from "./csv.js";
import { cleanup, readCsv, tempDir } from "./test-helpers.js";

const dirs: string[] = [];
afterAll(() => dirs.forEach(cleanup));

describe("csv", () => {
  it("quotes per RFC 4180 only when needed", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('say "hi", ok')).toBe('"say ""hi"", ok"');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
  });

  it("formats ISO 8601 UTC at second precision", () => {
    expect(fastIso(Date.UTC(2024, 2, 1, 14, 3, 22, 999))).toBe("2024-03-01T14:03:22Z");
    expect(fastIso(Date.UTC(1999, 11, 31, 23, 59, 59))).toBe("1999-12-31T23:59:59Z");
  });

  it("writes fields that a CSV parser reads back unchanged, across buffer boundaries", async () => {
    const dir = tempDir("csv");
    dirs.push(dir);
    const path = join(dir, "t.csv");
    const w = new CsvFileWriter(path, ["id", "text", "raw", "amount", "n", "at"]);
    const texts = ["plain", 'quote " inside', "comma, inside", "line\nbreak", "Zoë ünïcödé", "y"];
    const giant = "x".repeat(20_000); // longer than a row's reserve: forces a buffer move mid-row
    const textOf = (i: number) => (i === 777 || i === 778 ? giant : texts[i % texts.length]);
    const amounts = [0, 1.5, -2.25, 1234.567, 0.004];
    const rows = 60_000; // > 1 MB, so buffers rotate
    for (let i = 0; i < rows; i++) {
      w.ascii(`r${i}`)
        .sep()
        .text(i === 778 ? giant : textOf(i))
        .sep()
        .ascii(i === 777 ? giant : "-")
        .sep()
        .money(amounts[i % amounts.length])
        .sep()
        .int(i - 5)
        .sep()
        .iso(Date.UTC(2024, 0, 1) + i * 1000)
        .end();
      if (w.full) await w.flush();
    }
    await w.close();
    const parsed = readCsv(path);
    expect(parsed.header).toEqual(["id", "text", "raw", "amount", "n", "at"]);
    expect(parsed.rows.length).toBe(rows);
    for (const i of [0, 1, 2, 3, 4, 5, 776, 777, 778, 59_999]) {
      expect(parsed.rows[i].text).toBe(textOf(i));
      expect(parsed.rows[i].raw).toBe(i === 777 ? giant : "-");
      expect(parsed.rows[i].n).toBe(String(i - 5));
    }
    expect(parsed.rows.slice(0, 5).map((r) => r.amount)).toEqual(["0", "1.50", "-2.25", "1234.57", "0.00"]);
    expect(parsed.rows[59_999].at).toBe("2024-01-01T16:39:59Z");
  });
});
