import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { describeIssues } from "./ingest-file.js";
import { FORMATS, INGEST_KINDS, coerceTimestamp } from "./formats.js";

const outcome = (r: { success: boolean; data?: unknown; error?: unknown }) =>
  r.success ? { ok: r.data } : { error: describeIssues(r.error as Parameters<typeof describeIssues>[0]) };

describe("row formats", () => {
  it("reads what toISOString writes and refuses a day the calendar does not have", () => {
    expect((coerceTimestamp("2024-02-29T10:11:12.345Z") as Date).toISOString()).toBe("2024-02-29T10:11:12.345Z");
    expect((coerceTimestamp("2024-03-04T05:06:07Z") as Date).toISOString()).toBe("2024-03-04T05:06:07.000Z");
    expect(Number.isNaN((coerceTimestamp("2023-02-29T10:11:12.000Z") as Date).getTime())).toBe(true);
    expect(Number.isNaN((coerceTimestamp("2024-04-31T00:00:00Z") as Date).getTime())).toBe(true);
    expect((coerceTimestamp("20240304") as Date).toISOString()).toBe("2024-03-04T00:00:00.000Z");
    expect((coerceTimestamp(" 2024-03-04 10:00 ") as Date).toISOString()).toBe("2024-03-04T10:00:00.000Z");
  });

  it("gives the same row or the same reasons on the fast path as the one-schema path", () => {
    // Values a file may hold: good ones, blanks, padding, wrong case, junk, numbers in all notations.
    const cell = fc.oneof(
      fc.constantFrom(
        "",
        " ",
        "c1",
        " o7 ",
        "WEB",
        "web",
        "app",
        "email",
        "SMS",
        "granted",
        "completed",
        "RETURNED",
        "search",
        "open",
        "all",
        "gold",
        "UTC",
        "Mars/Olympus",
      ),
      fc.constantFrom("1", "2", "-3", "0", "1.5", "1e3", "abc", "Infinity", "12.50", "-0.25"),
      fc.constantFrom("2024-02-29T10:11:12.345Z", "2023-02-29T00:00:00Z", "2024-03-04", "20240304", "2024-13-01", "yesterday"),
      fc.string({ maxLength: 8 }),
    );
    for (const kind of INGEST_KINDS) {
      const { columns, schema, parse } = FORMATS[kind];
      const row = fc.record(Object.fromEntries(columns.map((c) => [c, cell])) as Record<string, fc.Arbitrary<string>>);
      fc.assert(
        fc.property(row, (values) => {
          expect(outcome(parse(values))).toEqual(outcome(schema.safeParse(values)));
        }),
        { numRuns: 300 },
      );
    }
  });
});
