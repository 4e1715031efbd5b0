/**
 * Benchmark: `pulse eval loop` over several seeds (default 3 seeds, 10,000 customers × 8 weekly
 * cycles, all four policies), printing each policy's means with their spread (sample standard
 * deviation, min-max), Pulse's comparisons with blast and rfm_rules against the issue's floors, run
 * time per seed and peak RSS. Run: npm run bench:loop [-- --customers N --cycles C --seeds 1,2,3]
 * Databases are throw-away (PGlite in temporary folders, or schemas on DATABASE_URL).
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { loadConfig } from "../core/config.js";
import { compareTo, type PolicyResult } from "../evals/loop/metrics.js";
import { runLoop, type LoopReport } from "../evals/loop/run-loop.js";
import { checkTargets, incrementalTrend } from "../evals/loop/targets.js";
import { openScratchDb } from "../store/scratch-db.js";

function stats(xs: readonly number[]): string {
  const n = xs.length;
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  const sd = n > 1 ? Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1)) : 0;
  const big = Math.abs(mean) >= 100;
  const f = (v: number) => (big ? Math.round(v).toLocaleString("en-US") : v.toFixed(3));
  return `${f(mean)} ± ${f(sd)} [${f(Math.min(...xs))}, ${f(Math.max(...xs))}]`;
}

async function run(): Promise<void> {
  const { values } = parseArgs({
    options: {
      customers: { type: "string", default: "10000" },
      cycles: { type: "string", default: "8" },
      seeds: { type: "string", default: "1,2,3" },
      cadence: { type: "string", default: "7" },
    },
  });
  const customers = Number(values.customers);
  const cycles = Number(values.cycles);
  const cadenceDays = Number(values.cadence);
  const seeds = values.seeds.split(",").map(Number);
  const config = loadConfig();
  const load = loadavg()[0];
  const reports: LoopReport[] = [];
  for (const seed of seeds) {
    const t0 = performance.now();
    const r = await runLoop(
      { customers, cycles, seed, cadenceDays },
      {
        config,
        openDb: (policy) => openScratchDb({ databaseUrl: config.DATABASE_URL, label: `bench_loop_${policy}` }),
        onProgress: (done, total, label) => process.stderr.write(`\r  seed ${seed}: ${done}/${total} ${label}        `),
      },
    );
    process.stderr.write("\n");
    reports.push(r);
    console.log(
      `seed ${seed}: ${((performance.now() - t0) / 1000).toFixed(0)} s (${r.policies.map((p) => `${p.policy} ${p.seconds.toFixed(0)} s`).join(", ")}), paired ${r.paired}, peak RSS so far ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
    );
  }
  console.log(
    `\neval loop: ${customers.toLocaleString("en-US")} customers × ${cycles} cycles every ${cadenceDays} days, seeds ${seeds.join(", ")} (mean ± sd [min, max])`,
  );
  const policies = reports[0]!.policies.map((p) => p.policy);
  const of = (policy: string) => reports.map((r) => r.policies.find((p) => p.policy === policy)!);
  const fields: [string, (p: PolicyResult) => number][] = [
    ["revenue", (p) => p.revenue],
    ["margin", (p) => p.margin],
    ["incremental_margin", (p) => p.incremental_margin ?? Number.NaN],
    ["messages", (p) => p.messages],
    ["optouts", (p) => p.optouts],
    ["retention", (p) => p.retention],
    ["regret", (p) => p.regret ?? Number.NaN],
  ];
  for (const policy of policies) {
    console.log(`  ${policy}`);
    for (const [name, get] of fields) console.log(`    ${name.padEnd(20)} ${stats(of(policy).map(get))}`);
    const trend = of(policy).map(incrementalTrend);
    if (trend.every((t) => t.first !== null))
      console.log(
        `    incr. margin/cycle   first third ${stats(trend.map((t) => t.first!))}, last third ${stats(trend.map((t) => t.last!))}`,
      );
  }
  if (policies.includes("pulse")) {
    for (const peer of ["blast", "rfm_rules"].filter((p) => policies.includes(p))) {
      const cs = reports.map((r) =>
        compareTo(
          r.policies.find((p) => p.policy === "pulse")!,
          r.policies.find((p) => p.policy === peer)!,
        ),
      );
      console.log(`  pulse vs ${peer}`);
      console.log(`    messages reduction   ${stats(cs.map((c) => c.messages_reduction ?? Number.NaN))}`);
      console.log(`    opt-outs reduction   ${stats(cs.map((c) => c.optouts_reduction ?? Number.NaN))}`);
      console.log(`    incr. margin delta   ${stats(cs.map((c) => c.incremental_margin_delta ?? Number.NaN))}`);
      console.log(`    retention delta      ${stats(cs.map((c) => c.retention_delta))}`);
    }
    console.log("  targets met per seed");
    const checks = reports.map((r) => checkTargets(r.policies));
    for (const [i, c] of checks[0]!.entries())
      console.log(`    ${c.target.padEnd(66)} ${checks.map((cs) => (cs[i]!.met === null ? "?" : cs[i]!.met ? "yes" : "no")).join(" ")}`);
  }
  console.log(`  run time per seed    ${stats(reports.map((r) => r.seconds))} s`);
  console.log(`  peak RSS             ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB (this process, database threads included)`);
  console.log(`  load avg             ${load.toFixed(2)} at start (other processes share the machine)`);
}

run().catch((err) => {
  console.error(err);
  process.exit(1);
});
