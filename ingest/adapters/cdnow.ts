import path from "node:path";
import type { Db } from "../../store/db.js";
import { deriveCustomersFromOrders } from "../../store/experiments-repo.js";
import { keyOf, tablesOf, upsertBatch } from "../../store/ingest-repo.js";
import { FORMATS } from "../formats.js";
import { describeIssues, readableSize, type IngestSummary } from "../ingest-file.js";
import { readLines, type RawRecord } from "../read-records.js";
import { HeaderError, runLoad, type RunLoadOptions } from "../run-load.js";
import { IngestFileError } from "../../core/errors.js";

/**
 * The CDNOW purchase log (Fader, Hardie & Lee 2005) in either layout: the 5-column sample (master id,
 * sample id, YYYYMMDD, CDs, dollars) or the 4-column master log (id, YYYYMMDD, CDs, dollars).
 * Each transaction becomes a one-line order of `quantity` CDs in category "music"; customers are
 * then derived from their first purchase. Customer ids are "cdnow-" plus the master id; order ids
 * are "cdnow-<id>-<YYYYMMDD>-<n>", n counting the customer's transactions that day, so the same
 * transaction gets the same id in either layout. Both logs are sorted by customer, so the counter
 * only remembers the current customer; in an unsorted file a repeated id shows up as a duplicate.
 */
export const CDNOW_CUSTOMER_PREFIX = "cdnow-";
const LAYOUTS = { 5: "sample", 4: "master" } as const;

async function* cdnowRecords(file: string, layout: { columns?: 4 | 5; error?: string }): AsyncGenerator<RawRecord[]> {
  let customer: string | undefined;
  let perDay = new Map<string, number>();
  for await (const lines of readLines(file)) {
    const out: RawRecord[] = [];
    for (const line of lines) {
      if ("error" in line) {
        out.push(line);
        continue;
      }
      const text = line.text.trim();
      if (text === "") continue;
      const cols = text.split(/\s+/);
      if (layout.columns === undefined) {
        if (cols.length !== 4 && cols.length !== 5) {
          layout.error = `${file}: not a CDNOW log: line ${line.lineNo} has ${cols.length} columns; expected 5 (master id, sample id, YYYYMMDD, CDs, dollars) or 4 (id, YYYYMMDD, CDs, dollars), separated by white space`;
          yield [];
          return;
        }
        layout.columns = cols.length;
      }
      if (cols.length !== layout.columns) {
        out.push({
          lineNo: line.lineNo,
          raw: line.text,
          error: `wrong column count: expected ${layout.columns} (${LAYOUTS[layout.columns]} layout), found ${cols.length}`,
        });
        continue;
      }
      const [id, date, cds, dollars] = layout.columns === 5 ? [cols[0], cols[2], cols[3], cols[4]] : cols;
      if (id !== customer) {
        customer = id;
        perDay = new Map();
      }
      const n = (perDay.get(date!) ?? 0) + 1;
      perDay.set(date!, n);
      out.push({ lineNo: line.lineNo, raw: line.text, values: { id, date, cds, dollars, n } });
    }
    yield out;
  }
}

export async function ingestCdnow(
  db: Db,
  file: string,
  options: RunLoadOptions = {},
): Promise<IngestSummary & { customers: { inserted: number; updated: number }; layout?: string }> {
  const totalBytes = await readableSize(file);
  const layout: { columns?: 4 | 5; error?: string } = {};
  const writeState = { direct: true };
  try {
    const summary = await runLoad<Record<string, unknown>>(
      db,
      {
        label: "cdnow",
        fileName: path.basename(file),
        format: "cdnow",
        totalBytes,
        records: cdnowRecords(file, layout),
        headerError: () => layout.error,
        validate: (v) => {
          if (!/^\d+$/.test(String(v.cds))) return { error: `cds: "${v.cds}" is not a whole number` };
          const cds = Number(v.cds);
          const dollars = Number(v.dollars);
          const parsed = FORMATS.orders.parse({
            order_id: `cdnow-${v.id}-${v.date}-${v.n}`,
            line_no: 1,
            customer_id: `${CDNOW_CUSTOMER_PREFIX}${v.id}`,
            ordered_at: v.date,
            channel: "web",
            category: "music",
            quantity: cds,
            unit_price: cds > 0 && Number.isFinite(dollars) ? (dollars / cds).toFixed(4) : v.dollars,
            status: "completed",
          });
          return parsed.success ? { row: parsed.data as Record<string, unknown> } : { error: describeIssues(parsed.error) };
        },
        key: (row) => keyOf("orders", row),
        write: (rows, loadId) => upsertBatch(db, "orders", loadId, rows, writeState),
        tables: tablesOf("orders"),
      },
      options,
    );
    const customers = await deriveCustomersFromOrders(db, CDNOW_CUSTOMER_PREFIX, "cdnow");
    return { ...summary, kind: "cdnow", file, format: "cdnow", customers, layout: layout.columns ? LAYOUTS[layout.columns] : undefined };
  } catch (err) {
    if (err instanceof HeaderError) throw new IngestFileError(err.message);
    throw err;
  }
}
