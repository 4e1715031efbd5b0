import { writeFile } from "node:fs/promises";
import { type Command, InvalidArgumentError } from "commander";
import { loadConfig } from "../../../core/config.js";
import { InputError } from "../../../core/errors.js";
import { loopChartSvg } from "../../../evals/loop/chart.js";
import type { SegmentChanges } from "../../../evals/loop/metrics.js";
import { LOOP_POLICIES, runLoop, type LoopPolicy, type LoopReport } from "../../../evals/loop/run-loop.js";
import { checkTargets } from "../../../evals/loop/targets.js";
import { openScratchDb } from "../../../store/scratch-db.js";
import { createProgress } from "../progress.js";
import { printResult, runAction } from "../run-action.js";

function intOption(min: number, max: number) {
  return (text: string): number => {
    const v = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(v) || v < min || v > max)
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}`);
    return v;
  };
}

/** "7d", "7" or "2w" → days. */
export function parseCadence(text: string): number {
  const m = /^\s*(\d+)\s*([dw]?)\s*$/i.exec(text);
  const days = m ? Number(m[1]) * (m[2]?.toLowerCase() === "w" ? 7 : 1) : Number.NaN;
  if (!Number.isInteger(days) || days < 2 || days > 90)
    throw new InvalidArgumentError('expected a cadence such as "7d" or "2w" (2 to 90 days)');
  return days;
}

export function parsePolicies(text: string): LoopPolicy[] {
  const names = text
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !(LOOP_POLICIES as readonly string[]).includes(n));
  if (names.length === 0 || unknown.length)
    throw new InvalidArgumentError(
      `unknown polic${unknown.length === 1 ? "y" : "ies"} ${unknown.join(", ") || "(none given)"}; choose from ${LOOP_POLICIES.join(", ")}`,
    );
  if (new Set(names).size !== names.length) throw new InvalidArgumentError("a policy is named twice");
  return names as LoopPolicy[];
}

const money = (x: number | null) => (x === null ? "n/a" : Math.round(x).toLocaleString("en"));
const pct = (x: number | null) => (x === null ? "n/a" : `${(100 * x).toFixed(1)}%`);

/** One cycle's segment births, deaths and migrations, as the report prints them. */
export function segmentChangesLine(s: SegmentChanges): string {
  const parts = [`${s.segments} segments`];
  if (s.migrated === null) return `${parts[0]}, first segmentation`;
  parts.push(s.births.length ? `born ${s.births.join(", ")}` : "none born");
  parts.push(s.deaths.length ? `retired ${s.deaths.join(", ")}` : "none retired");
  const flows = s.flows.map((f) => `${f.from}→${f.to} ${f.customers.toLocaleString("en")}`).join(", ");
  parts.push(
    `${s.migrated.toLocaleString("en")} customers migrated${s.stability === null ? "" : ` (stability ${pct(s.stability)})`}${flows ? `: ${flows}` : ""}`,
  );
  return parts.join("; ");
}

export function renderLoop(r: LoopReport): string {
  const out: string[] = [
    `Loop: ${r.customers.toLocaleString("en")} customers, ${r.cycles} cycles every ${r.cadenceDays} days (${r.start.slice(0, 10)} to ${r.end.slice(0, 10)}), seed ${r.seed}, ${r.seconds.toFixed(1)} s`,
    `  paired worlds: ${r.paired ? "yes, every policy started from the same world" : `NO: ${JSON.stringify(r.startDigests)}`}`,
    "",
    "  policy       revenue      margin  incr. margin  messages  opt-outs  opt-outs/1k  retention  regret (purchases)   seconds",
  ];
  for (const p of r.policies)
    out.push(
      `  ${p.policy.padEnd(10)} ${money(p.revenue).padStart(9)} ${money(p.margin).padStart(11)} ${money(p.incremental_margin).padStart(13)} ${String(p.messages).padStart(9)} ${String(p.optouts).padStart(9)} ${(p.optouts_per_1k_messages === null ? "n/a" : p.optouts_per_1k_messages.toFixed(2)).padStart(12)} ${pct(p.retention).padStart(10)} ${(p.regret === null ? "n/a" : p.regret.toFixed(1)).padStart(19)} ${p.seconds.toFixed(1).padStart(9)}`,
    );
  out.push("", "  incremental margin per cycle (against none):");
  for (const p of r.policies)
    out.push(`  ${p.policy.padEnd(10)} ${p.series.map((s) => money(s.incremental_margin).padStart(8)).join(" ")}`);
  for (const p of r.policies) {
    if (!p.series.some((x) => x.segments)) continue;
    out.push("", `  ${p.policy}'s segments per cycle (the refresh against the last run):`);
    for (const x of p.series) if (x.segments) out.push(`  cycle ${x.cycle + 1}: ${segmentChangesLine(x.segments)}`);
  }
  const checks = checkTargets(r.policies);
  if (checks.length) {
    out.push("", "  targets:");
    for (const c of checks)
      out.push(
        `  ${c.met === null ? "  ?" : c.met ? " ok" : "MISS"}  ${c.target}: ${c.value === null ? "n/a" : c.target.includes("%") || c.target.startsWith("retention") ? pct(c.value) : money(c.value)}`,
      );
  }
  for (const p of r.policies) for (const n of p.notes ?? []) out.push(`  note (${p.policy}): ${n}`);
  return out.join("\n");
}

interface EvalLoopOptions {
  customers: number;
  cycles: number;
  seed: number;
  cadence: number;
  policies: LoopPolicy[];
  regretSample: number;
  json?: boolean;
  chart?: string;
}

export function registerEvalLoop(evalCmd: Command): void {
  evalCmd
    .command("loop")
    .description(
      "Many autonomous cycles on simulated time: one simulated retailer, each policy on its own copy of the same world\n" +
        "(pulse: the full cycle, approved by policy, learning between cycles; blast: everyone, every channel, every cycle;\n" +
        "rfm_rules: RFM bands on a fixed calendar; none: nobody), the world's responses loaded back through ingestion.\n" +
        "Prints revenue, margin, incremental margin against none, messages, opt-outs, retention and regret per policy.",
    )
    .option("--customers <n>", "customers in the simulated retailer", intOption(50, 1_000_000), 10_000)
    .option("--cycles <n>", "cycles to run", intOption(1, 104), 8)
    .option("--seed <s>", "the world's seed", intOption(0, Number.MAX_SAFE_INTEGER), 1)
    .option("--cadence <days>", 'time between cycles, e.g. "7d" or "2w"', parseCadence, 7)
    .option("--policies <list>", `comma-separated, from ${LOOP_POLICIES.join(", ")}`, parsePolicies, [...LOOP_POLICIES])
    .option(
      "--regret-sample <n>",
      "customers per policy on which regret against the simulator's oracle is computed (0: off)",
      intOption(0, 1_000_000),
      500,
    )
    .option(
      "--json",
      "print the report as JSON: {policies: [{policy, revenue, margin, incremental_margin, messages, optouts, retention, ...}]}",
    )
    .option("--chart <file>", "write an SVG of cumulative incremental margin and opt-outs per cycle per policy")
    .addHelpText(
      "after",
      "\nEach policy gets its own throw-away database (a schema on DATABASE_URL, else an embedded PGlite in a temporary folder).\n" +
        "At 10,000 customers × 8 cycles expect a few minutes; see `npm run bench:loop` for measured figures.",
    )
    .action(
      runAction(async (opts: EvalLoopOptions) => {
        const config = loadConfig();
        if (opts.chart !== undefined && !opts.chart.toLowerCase().endsWith(".svg"))
          throw new InputError(`--chart writes SVG: give a file name ending in .svg, got "${opts.chart}"`);
        const total = opts.policies.length * opts.cycles;
        const bar = createProgress("eval loop", total, " cycles");
        let report: LoopReport;
        try {
          report = await runLoop(
            {
              customers: opts.customers,
              cycles: opts.cycles,
              seed: opts.seed,
              cadenceDays: opts.cadence,
              policies: opts.policies,
              regretSample: opts.regretSample,
            },
            {
              config,
              openDb: (policy) => openScratchDb({ databaseUrl: config.DATABASE_URL, label: `loop_${policy}` }),
              onProgress: (done, _total, label) => bar.update(done, label),
            },
          );
        } finally {
          bar.stop();
        }
        if (opts.chart) await writeFile(opts.chart, loopChartSvg(report));
        printResult(report, opts.json, renderLoop);
        if (opts.chart && !opts.json) process.stdout.write(`chart written to ${opts.chart}\n`);
      }),
    );
}
