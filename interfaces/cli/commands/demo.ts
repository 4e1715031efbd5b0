import { rmSync } from "node:fs";
import path from "node:path";
import type { Command } from "commander";
import { loadConfig } from "../../../core/config.js";
import { InputError } from "../../../core/errors.js";
import { verifiedCount } from "../../../guardrails/audit-verify.js";
import { openDb } from "../../../store/db.js";
import { runDemo, type DemoReport } from "../../../workflows/demo.js";
import { printResult, runAction } from "../run-action.js";

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const money = (x: number) => x.toLocaleString("en", { maximumFractionDigits: 0 });

/**
 * The demo's report as text. `explore` is how later commands reach the demo's data (for instance
 * `PULSE_DATA_DIR=.pulse/demo`); with it, the report ends with commands to look around.
 */
export function renderDemo(r: DemoReport, explore?: string): string {
  const s = r.state;
  const out: string[] = [];
  const h = (t: string) => out.push("", t, "-".repeat(t.length));
  h(`Simulated retailer (seed ${r.seed})`);
  for (const l of r.loads)
    out.push(`  ${l.kind.padEnd(10)} ${String(l.rowsRead).padStart(9)} rows read, ${l.inserted} inserted, ${l.quarantined} quarantined`);
  out.push(
    `  ${r.rfm.customers.toLocaleString("en")} customers, ${r.rfm.buyers.toLocaleString("en")} buyers, ${r.rfm.orders.toLocaleString("en")} orders, net revenue ${money(r.rfm.netRevenue)}`,
  );
  out.push("  RFM bands:  band               customers  recency(d)  orders  net spend  share of spend");
  for (const b of r.rfm.bands)
    out.push(
      `              ${b.label.padEnd(18)} ${String(b.customers).padStart(9)} ${b.avgRecencyDays.toFixed(0).padStart(11)} ${b.avgOrders.toFixed(1).padStart(7)} ${money(b.avgNetSpend).padStart(10)} ${pct(b.spendShare).padStart(15)}`,
    );

  h(
    `Segments (cycle ${r.cycleId}, k = ${s.refresh!.k}, silhouette ${s.refresh!.silhouette?.toFixed(3) ?? "n/a"}, Davies-Bouldin ${s.refresh!.daviesBouldin?.toFixed(3) ?? "n/a"}, churn AUC ${s.refresh!.churnAuc?.toFixed(3) ?? "n/a"})`,
  );
  for (const seg of s.refresh!.segments)
    out.push(`  ${seg.segmentId.padEnd(7)} ${seg.name.padEnd(34)} ${String(seg.size).padStart(6)}  ${seg.description}`);

  h("Plan per segment");
  for (const p of s.plan!.segments) {
    const what = p.channel
      ? `${p.strategy} by ${p.channel}, ${Math.round(p.offerDepth * 100)}% off, ${String(p.sendHourLocal).padStart(2, "0")}:00 local`
      : p.strategy;
    out.push(
      `  ${p.name.padEnd(34)} ${what.padEnd(46)} contacts ${String(p.contacts).padStart(5)}  budget ${p.budget.toFixed(2).padStart(8)}  (uplift: ${p.upliftSource})`,
    );
    out.push(`  ${"".padEnd(34)} why: ${p.reasons.join("; ")}`);
  }

  h("Sample message per channel");
  for (const m of r.samples) {
    const c = m.content as Record<string, string>;
    const text = c.subject ? `${c.subject} | ${c.preheader}` : (c.text ?? `${c.title}: ${c.body}`);
    out.push(`  ${m.channel.padEnd(7)} ${m.segment} [${m.variantId}]`, `          ${text}`);
  }

  h("Who was contacted, held out or suppressed, and why");
  const a = s.activation!;
  out.push(
    `  considered ${s.plan!.considered}, planned contacts ${s.plan!.contacts}: treated ${a.treated}, held out ${a.holdout} (randomized), global control ${a.globalControl}`,
  );
  for (const t of r.targets.filter((x) => x.decision === "skip")) out.push(`  not contacted: ${t.code.padEnd(24)} ${t.customers}`);
  for (const m of r.messages) out.push(`  messages ${m.channel.padEnd(7)} ${m.status.padEnd(12)} ${m.n}`);
  out.push(
    `  approval: ${s.approval!.decision} by ${s.approval!.by} (${s.review!.autoApproved ? "auto-approved by the demo's policy" : "human"})`,
  );

  h("Lift against the holdouts (treated minus holdout, 95% CI)");
  out.push(`  ${s.measurement!.headline}`);
  for (const l of s.measurement!.lines) out.push(`  ${l}`);
  out.push(
    `  learned: ${s.learn!.models.map((m) => `${m.strategy} (${m.treated}/${m.holdout})`).join(", ") || "nothing"}${s.learn!.skipped.length ? `; skipped: ${s.learn!.skipped.join("; ")}` : ""}`,
  );

  h("LLM use");
  const agents = Object.entries(s.agents)
    .map(([k, v]) => `${k}: ${v.source}${v.fallbackReason ? ` (fell back: ${v.fallbackReason})` : ""}`)
    .join(", ");
  out.push(
    r.llm.mode === "offline"
      ? `  none: no OPENAI_API_KEY, every agent ran its offline policy (${agents})`
      : `  ${r.llm.calls} calls, ${r.llm.promptTokens} prompt + ${r.llm.completionTokens} completion tokens, about $${r.llm.costUsd.toFixed(4)} (${agents})`,
  );

  out.push("", `audit verify: ${r.audit.ok ? "OK" : `BROKEN ${r.audit.problem}`} (${verifiedCount(r.audit)})`);
  out.push(
    `timings: ${Object.entries(r.timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)} s`)
      .join(", ")}`,
  );
  if (explore) {
    h("Look around");
    const cmd = (args: string, what: string) => out.push(`  ${`${explore} npx pulse ${args}`.padEnd(explore.length + 48)}  # ${what}`);
    if (r.examples.sent) cmd(`audit why ${r.examples.sent}`, "why this customer got a message");
    if (r.examples.skipped) cmd(`audit why ${r.examples.skipped.customerId}`, `why this one did not (${r.examples.skipped.code})`);
    cmd(`cycle status ${r.cycleId}`, "the cycle: plan, review, approval, lift");
    cmd("audit verify", "the hash chain, entry by entry");
    out.push("", "  The dashboard on this data (sign in at http://127.0.0.1:8080/ with the token the first command prints):");
    cmd("token create --role admin --name me", "a token, shown once");
    cmd("serve --port 8080", "the API and the dashboard, until Ctrl-C");
  }
  return out.join("\n");
}

export function registerDemoCommand(program: Command): void {
  program
    .command("demo")
    .description(
      "Simulate a retailer, load it, run one full cycle on it (auto-approved by the demo's policy), let the simulated customers respond, then measure lift. Uses a fresh embedded database unless DATABASE_URL is set.",
    )
    .option(
      "--customers <n>",
      "simulated customers (about 120 rows of history each; on the embedded database of a 2-core machine 20,000 take about 1 minute, 5,000 about 25 seconds)",
      "20000",
    )
    .option("--seed <n>", "simulation seed", "42")
    .option("--json", "print the report as JSON")
    .action(
      runAction(async (opts: { customers: string; seed: string; json?: boolean }) => {
        const customers = Number(opts.customers);
        const seed = Number(opts.seed);
        if (!Number.isInteger(customers) || customers < 100 || customers > 1_000_000)
          throw new InputError("--customers must be a whole number from 100 to 1,000,000");
        if (!Number.isInteger(seed)) throw new InputError("--seed must be a whole number");
        const config = loadConfig();
        const dataDir = path.join(config.PULSE_DATA_DIR, "demo");
        if (!config.DATABASE_URL) rmSync(dataDir, { recursive: true, force: true });
        const schema = config.DATABASE_URL ? `demo_${Date.now().toString(36)}` : config.PULSE_DB_SCHEMA;
        const db = await openDb({ databaseUrl: config.DATABASE_URL, dataDir, schema });
        try {
          const report = await runDemo({ db, config, customers, seed, progress: (line) => process.stderr.write(`${line}\n`) });
          if (config.DATABASE_URL) process.stderr.write(`(demo data kept in schema ${schema})\n`);
          const explore = config.DATABASE_URL
            ? `PULSE_DB_SCHEMA=${schema}`
            : `PULSE_DATA_DIR=${path.relative(process.cwd(), dataDir) || "."}`;
          printResult(report, opts.json, (r) => renderDemo(r, explore));
          return report.audit.ok ? 0 : 1;
        } finally {
          await db.close();
        }
      }),
    );
}
