/**
 * Ingests generated order-line files into PostgreSQL and prints rows/s and peak memory, at two file
 * sizes, to show throughput and that memory does not grow with the file. A first load into empty
 * tables takes the direct COPY path; loading the same file again takes the merge path (every row is
 * compared and found unchanged), which the second line of each size shows.
 *   npx tsx bench/ingest-orders.bench.ts [lines=1000000]
 */
import { createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { ingestFile } from "../ingest/ingest-file.js";
import { createTestDb } from "../store/test-db.js";

const total = Number(process.argv[2] ?? 1_000_000);
const dir = mkdtempSync(path.join(tmpdir(), "pulse-bench-"));
const categories = ["apparel", "beauty", "electronics", "grocery", "home", "sports", "toys", "books"];

async function writeOrders(file: string, lines: number): Promise<void> {
  const out = createWriteStream(file);
  out.write("order_id,line_no,customer_id,ordered_at,channel,sku,category,quantity,unit_price,discount,margin,status\n");
  let buf = "";
  for (let i = 0; i < lines; i++) {
    const order = Math.floor(i / 3);
    const day = new Date(Date.UTC(2024, 0, 1) + (order % 365) * 86_400_000).toISOString();
    buf += `o${order},${(i % 3) + 1},c${order % 50_000},${day},web,sku${i % 997},${categories[i % 8]},${1 + (i % 3)},${(5 + (i % 50)).toFixed(2)},0,${(1 + (i % 7)).toFixed(2)},completed\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await once(out, "drain");
      buf = "";
    }
  }
  out.end(buf);
  await once(out, "finish");
}

let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 50);

const results: string[] = [];
for (const lines of [Math.round(total / 4), total]) {
  const file = path.join(dir, `orders-${lines}.csv`);
  await writeOrders(file, lines);
  const t = await createTestDb("postgres");
  try {
    global.gc?.();
    peak = process.memoryUsage().rss;
    const started = performance.now();
    const s = await ingestFile(t.db, "orders", file);
    const seconds = (performance.now() - started) / 1000;
    const again = performance.now();
    const r = await ingestFile(t.db, "orders", file);
    const reload = (performance.now() - again) / 1000;
    results.push(
      `${String(lines).padStart(9)} lines  ${(statSync(file).size / 1e6).toFixed(0).padStart(4)} MB  first load ${seconds.toFixed(1).padStart(5)} s ${Math.round(
        lines / seconds,
      )
        .toLocaleString("en")
        .padStart(7)} rows/s  reload ${reload.toFixed(1).padStart(5)} s ${Math.round(lines / reload)
        .toLocaleString("en")
        .padStart(
          7,
        )} rows/s  peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB  (inserted ${s.inserted}, then unchanged ${r.unchanged}; quarantined ${s.quarantined + r.quarantined})`,
    );
  } finally {
    await t.drop();
    rmSync(file);
  }
}
clearInterval(sampler);
rmSync(dir, { recursive: true, force: true });
console.log("ingest orders into PostgreSQL (one row per order line, batches of 10,000):");
for (const r of results) console.log(r);
