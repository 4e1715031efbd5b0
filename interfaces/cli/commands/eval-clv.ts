import { writeFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import { InputError } from "../../../core/errors.js";
import { type ClvCdnowReport, type ClvCdnowRow, evaluateClvOnCdnow } from "../../../evals/clv-cdnow.js";
import { printResult, runAction } from "../run-action.js";

interface EvalClvOptions {
  transactions: string;
  format: "cdnow";
  calibrationEnd: string;
  horizonWeeks: string;
  margin: string;
  annualDiscountRate: string;
  out?: string;
  json?: boolean;
}

function numberOption(name: string, text: string, check: (v: number) => boolean, expected: string): number {
  const v = Number(text);
  if (text.trim() === "" || !Number.isFinite(v) || !check(v)) throw new InputError(`${name} must be ${expected}, got "${text}"`);
  return v;
}

const fmt = (v: number | null, digits = 4): string => (v === null ? "" : String(Number(v.toFixed(digits))));

export function clvRowsCsv(rows: readonly ClvCdnowRow[]): string {
  const header = "id,x,t_x,T,expected_purchases,p_alive,expected_spend,clv,actual_holdout_purchases";
  const lines = rows.map((r) =>
    [
      r.id,
      r.x,
      fmt(r.tx),
      fmt(r.T),
      fmt(r.expectedPurchases, 6),
      fmt(r.pAlive, 6),
      fmt(r.expectedSpend),
      fmt(r.clv),
      r.actualHoldoutPurchases,
    ].join(","),
  );
  return `${[header, ...lines].join("\n")}\n`;
}

export function renderClvReport(r: Omit<ClvCdnowReport, "rows"> & { out?: string; seconds: number }): string {
  const p = r.bgnbd.params;
  const gg = r.gammaGamma;
  const lines = [
    `CLV on ${r.source} (${r.layout} layout): ${r.customers} customers, calibration to ${r.calibrationEnd}, holdout to ${r.holdoutEnd} (${r.horizonWeeks} weeks), ${r.seconds.toFixed(1)} s`,
    `  BG/NBD       r=${p.r.toFixed(4)} alpha=${p.alpha.toFixed(4)} a=${p.a.toFixed(4)} b=${p.b.toFixed(4)}  log-likelihood ${r.bgnbd.logLikelihood.toFixed(2)}`,
    gg
      ? `  Gamma-Gamma  p=${gg.params.p.toFixed(4)} q=${gg.params.q.toFixed(4)} gamma=${gg.params.gamma.toFixed(4)}  log-likelihood ${gg.logLikelihood?.toFixed(2) ?? "n/a"} (${gg.customers} customers with x > 0)`
      : "  Gamma-Gamma  not fitted (no customer with repeat purchases and spend)",
    `  holdout repeat purchases: predicted ${r.holdout.predictedPurchases.toFixed(1)}, actual ${r.holdout.actualPurchases}${r.holdoutTruncated ? " (data end before the holdout does: actual is incomplete)" : ""}`,
    `  per customer: MAE ${r.holdout.meanAbsoluteError.toFixed(4)}, RMSE ${r.holdout.rootMeanSquaredError.toFixed(4)}`,
    "  by calibration repeat purchases:   x  customers  predicted  actual (mean holdout purchases)",
    ...r.holdout.byCalibrationPurchases.map(
      (b) =>
        `                                  ${b.x.padStart(3)}  ${String(b.customers).padStart(9)}  ${b.predictedMean.toFixed(3).padStart(9)}  ${b.actualMean.toFixed(3).padStart(6)}`,
    ),
    `  total CLV over the horizon (margin ${r.margin}, annual discount ${r.annualDiscountRate}): ${r.totalClv === null ? "n/a" : r.totalClv.toFixed(2)}`,
  ];
  if (r.out) lines.push(`  per-customer predictions written to ${r.out}`);
  return lines.join("\n");
}

export function registerEvalClv(evalCmd: Command): void {
  evalCmd
    .command("clv")
    .description("Fit BG/NBD + Gamma-Gamma on a calibration period and compare predicted with actual purchases in the holdout that follows")
    .requiredOption("--transactions <file>", "purchase log (CDNOW: 5-column sample or 4-column master layout, detected)")
    .addOption(new Option("--format <format>", "format of the purchase log").choices(["cdnow"]).default("cdnow"))
    .option("--calibration-end <date>", "last day of the calibration period, inclusive (YYYY-MM-DD)", "1997-09-30")
    .option("--horizon-weeks <n>", "prediction horizon and holdout length, in weeks", "39")
    .option("--margin <fraction>", "gross margin as a fraction of spend for CLV (1 = CLV in revenue terms)", "1")
    .option("--annual-discount-rate <rate>", "annual discount rate for CLV, applied weekly", "0.1")
    .option(
      "--out <csv>",
      "write per-customer predictions: id, x, t_x, T, expected_purchases, p_alive, expected_spend, clv, actual_holdout_purchases",
    )
    .option("--json", "print the summary as JSON")
    .addHelpText("after", "\nExit codes: 0 done, 2 usage, 3 unreadable or malformed input (the message names the line).")
    .action(
      runAction(async (opts: EvalClvOptions) => {
        const started = performance.now();
        const report = await evaluateClvOnCdnow(opts.transactions, {
          calibrationEnd: opts.calibrationEnd,
          horizonWeeks: numberOption("--horizon-weeks", opts.horizonWeeks, (v) => v > 0 && v <= 520, "a number of weeks in (0, 520]"),
          margin: numberOption("--margin", opts.margin, (v) => v >= 0 && v <= 1, "a fraction in [0, 1]"),
          annualDiscountRate: numberOption("--annual-discount-rate", opts.annualDiscountRate, (v) => v >= 0 && v <= 1, "a rate in [0, 1]"),
        });
        if (opts.out) {
          try {
            await writeFile(opts.out, clvRowsCsv(report.rows));
          } catch (err) {
            throw new InputError(`cannot write ${opts.out}: ${(err as Error).message}`, { cause: err });
          }
        }
        const { rows: _rows, ...summary } = report;
        printResult({ ...summary, out: opts.out, seconds: (performance.now() - started) / 1000 }, opts.json, renderClvReport);
      }),
    );
}
