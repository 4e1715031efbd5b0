/**
 * Benchmark: generate a 100,000-customer, 12-month world and print rows per file, seconds and peak
 * RSS. Run: npx tsx bench/sim-generate.bench.ts [--customers N] [--seed S] [--keep]
 * Output goes to a temporary directory, removed afterwards unless --keep.
 */
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generateWorld } from "../sim/generate-world.js";

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: "string", default: "100000" },
      seed: { type: "string", default: "1" },
      keep: { type: "boolean", default: false },
    },
  });
  const customers = Number(values.customers);
  const seed = Number(values.seed);
  const out = mkdtempSync(join(tmpdir(), "pulse-sim-bench-"));
  const load = loadavg()[0];
  try {
    const result = await generateWorld({ customers, seed, out });
    const peakRssMb = process.resourceUsage().maxRSS / 1024;
    const rows = result.manifest.rowCounts;
    const totalRows = Object.values(rows).reduce((s, n) => s + n, 0);
    const totalBytes = Object.entries(result.files).reduce((s, [, path]) => s + statSync(path).size, 0);
    console.log(`sim generate: ${customers.toLocaleString("en-US")} customers x ${result.manifest.params.months} months, seed ${seed}`);
    for (const [kind, n] of Object.entries(rows)) console.log(`  ${kind.padEnd(10)} ${n.toLocaleString("en-US").padStart(12)} rows`);
    console.log(`  total      ${totalRows.toLocaleString("en-US").padStart(12)} rows, ${(totalBytes / 1e6).toFixed(0)} MB`);
    console.log(`  seconds    ${(result.elapsedMs / 1000).toFixed(1)}`);
    console.log(`  rows/s     ${Math.round(totalRows / (result.elapsedMs / 1000)).toLocaleString("en-US")}`);
    console.log(`  peak RSS   ${peakRssMb.toFixed(0)} MB`);
    console.log(`  load avg   ${load.toFixed(2)} at start (other processes share the machine)`);
    // One weekly step with an e-mail to every fifth customer, through the world generateWorld returned.
    const world = result.world;
    const ids = world.customerIds().filter((_, i) => i % 5 === 0);
    const sentAt = new Date(world.now.getTime() + 15 * 3_600_000);
    const stepStarted = performance.now();
    const step = world.step({
      to: new Date(world.now.getTime() + 7 * 86_400_000),
      messages: ids.map((customerId) => ({
        messageId: `bench-${customerId}`,
        customerId,
        channel: "email" as const,
        strategy: "targeted_promo" as const,
        offerDepth: 0.15,
        sentAt,
      })),
    });
    const stepSeconds = (performance.now() - stepStarted) / 1000;
    console.log(
      `  step 7d    ${stepSeconds.toFixed(1)} s for ${ids.length.toLocaleString("en-US")} messages: ${step.responses.length.toLocaleString("en-US")} responses, ${step.orders.length.toLocaleString("en-US")} order lines, ${step.events.length.toLocaleString("en-US")} events`,
    );
    console.log(`  peak RSS   ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB after the step`);
    if (values.keep) console.log(`  output     ${out}`);
  } finally {
    if (!values.keep) rmSync(out, { recursive: true, force: true });
  }
}

run().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
