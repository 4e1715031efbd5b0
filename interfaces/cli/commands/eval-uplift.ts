import { readFile, writeFile } from "node:fs/promises";
import { type Command, Option } from "commander";
import { InputError } from "../../../core/errors.js";
import {
  hillstromFeatures,
  hillstromOutcomes,
  hillstromTreatments,
  hillstromUpliftRows,
  parseHillstromCsv,
  treatmentArm,
  type HillstromOutcome,
  type HillstromSegment,
  type HillstromTreatment,
} from "../../../evals/hillstrom.js";
import { evaluateUplift } from "../../../tools/uplift-metrics.js";
import { predictUplift, trainUplift, upliftMethods, type UpliftMethod } from "../../../tools/uplift.js";
import { printResult, runAction } from "../run-action.js";

interface EvalUpliftOptions {
  train: string;
  score: string;
  out: string;
  treatment: HillstromTreatment;
  outcome: HillstromOutcome;
  method: UpliftMethod;
  seed: string;
  json?: boolean;
}

export interface EvalUpliftSummary {
  method: UpliftMethod;
  treatment: HillstromTreatment;
  outcome: HillstromOutcome;
  seed: number;
  trainRows: { treated: number; control: number };
  scoredRows: number;
  out: string;
  /** Measured on the score file's treated + control rows, or null when it carries no outcomes. */
  evaluation: {
    rows: number;
    qini: number;
    keptTop30: number | null;
    keptTop50: number | null;
    upliftAtTop30: number | null;
  } | null;
  evaluationSkipped?: string;
  seconds: number;
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(`cannot read ${what} file ${path}: ${(err as Error).message}`, { cause: err });
  }
}

function csvCell(v: string): string {
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

/** The score file's columns unchanged, plus `uplift` last (an existing `uplift` column is replaced). */
export function upliftCsv(header: readonly string[], raw: readonly (readonly string[])[], uplift: readonly number[]): string {
  const keep = header.map((h, i) => (h === "uplift" ? -1 : i)).filter((i) => i >= 0);
  const lines = [[...keep.map((i) => header[i]), "uplift"].map(csvCell).join(",")];
  raw.forEach((cells, r) => lines.push([...keep.map((i) => cells[i]), String(Number(uplift[r].toFixed(6)))].map(csvCell).join(",")));
  return `${lines.join("\n")}\n`;
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);
const pct = (v: number | null) => (v === null ? "n/a (no incremental outcome overall)" : `${(v * 100).toFixed(1)}%`);

export function renderEvalUplift(s: EvalUpliftSummary): string {
  const lines = [
    `uplift of ${s.treatment === "any" ? "any e-mail" : s.treatment} vs No E-Mail on ${s.outcome}, method ${s.method}, seed ${s.seed}`,
    `  trained on ${s.trainRows.treated} treated + ${s.trainRows.control} control rows; wrote ${s.scoredRows} predictions to ${s.out} (${s.seconds.toFixed(1)} s)`,
  ];
  if (s.evaluation === null) {
    lines.push(`  no evaluation: ${s.evaluationSkipped}`);
  } else {
    const e = s.evaluation;
    lines.push(
      `  on the score file (${e.rows} treated + control rows):`,
      `    Qini coefficient ${e.qini.toFixed(4)} (area above random / perfect ranking's; random = 0, perfect = 1)`,
      `    share of all incremental ${s.outcome} kept treating only the top 30%: ${pct(e.keptTop30)}, top 50%: ${pct(e.keptTop50)}`,
    );
  }
  return lines.join("\n");
}

export function registerEvalUplift(evalCmd: Command): void {
  evalCmd
    .command("uplift")
    .description(
      "Train an uplift model on a Hillstrom-format randomised e-mail test and predict, for every row of a score file, the effect of the treatment on the outcome",
    )
    .requiredOption("--train <csv>", "training file: Hillstrom columns including segment and the outcome")
    .requiredOption(
      "--score <csv>",
      "file to score: Hillstrom feature columns; segment and outcome columns optional (used for evaluation when present)",
    )
    .requiredOption(
      "--out <csv>",
      "output: the score file's columns unchanged, in the same order and row order, plus a last column `uplift` (predicted treated minus untreated outcome)",
    )
    .addOption(
      new Option(
        "--treatment <arm>",
        'treatment compared with "No E-Mail"; with a specific e-mail the other e-mail arm is left out of training and evaluation, but still scored',
      )
        .choices(hillstromTreatments)
        .default("any"),
    )
    .addOption(new Option("--outcome <name>", "outcome column").choices(hillstromOutcomes).default("visit"))
    .addOption(new Option("--method <name>", "uplift method (see tools/uplift.ts)").choices(upliftMethods).default("t-learner"))
    .option("--seed <n>", "seed (bootstrap bagging; methods are otherwise deterministic)", "1")
    .option("--json", "print the summary as JSON")
    .addHelpText(
      "after",
      "\nPrints the Qini coefficient and the share of all incremental outcomes kept when treating only the top 30% / 50% by predicted uplift, measured on the score file when it has segment and outcome columns.\nExit codes: 0 done, 2 usage, 3 unreadable or malformed input (the message names the file and line).",
    )
    .action(
      runAction(async (opts: EvalUpliftOptions) => {
        const started = performance.now();
        const seed = Number(opts.seed);
        if (!Number.isInteger(seed)) throw new InputError(`--seed must be an integer, got "${opts.seed}"`);
        const trainFile = parseHillstromCsv(await readText(opts.train, "--train"), opts.train);
        const scoreFile = parseHillstromCsv(await readText(opts.score, "--score"), opts.score);

        const rows = hillstromUpliftRows(trainFile, opts.treatment, opts.outcome, opts.train);
        const treated = rows.filter((r) => r.treated).length;
        if (treated < 2 || rows.length - treated < 2) {
          throw new InputError(
            `${opts.train}: need at least 2 treated and 2 control rows for ${opts.treatment} vs No E-Mail, found ${treated} and ${rows.length - treated}`,
          );
        }
        const model = trainUplift({ rows, method: opts.method, seed });
        const uplift = predictUplift(model, scoreFile.rows.map(hillstromFeatures));
        try {
          await writeFile(opts.out, upliftCsv(scoreFile.header, scoreFile.raw, uplift));
        } catch (err) {
          throw new InputError(`cannot write ${opts.out}: ${(err as Error).message}`, { cause: err });
        }

        let evaluation: EvalUpliftSummary["evaluation"] = null;
        let evaluationSkipped: string | undefined;
        if (!scoreFile.hasSegment || !scoreFile.outcomes.includes(opts.outcome)) {
          const lacking = [
            ...(scoreFile.hasSegment ? [] : ["segment"]),
            ...(scoreFile.outcomes.includes(opts.outcome) ? [] : [opts.outcome]),
          ];
          evaluationSkipped = `the score file has no ${lacking.map((c) => `"${c}"`).join(" or ")} column, so no Qini or kept share`;
        } else {
          const idx = scoreFile.rows.flatMap((r, i) => (treatmentArm(r.segment as HillstromSegment, opts.treatment) === null ? [] : [i]));
          const arms = idx.map((i) => treatmentArm(scoreFile.rows[i].segment as HillstromSegment, opts.treatment) === true);
          if (!arms.includes(true) || !arms.includes(false)) {
            evaluationSkipped = "the score file lacks treated or control rows, so no Qini or kept share";
          } else {
            const e = evaluateUplift(
              idx.map((i) => uplift[i]),
              arms,
              idx.map((i) => scoreFile.rows[i][opts.outcome] as number),
            );
            evaluation = {
              rows: idx.length,
              qini: e.qini,
              keptTop30: finiteOrNull(e.kept.top30),
              keptTop50: finiteOrNull(e.kept.top50),
              upliftAtTop30: finiteOrNull(e.upliftAt.top30),
            };
          }
        }
        const summary: EvalUpliftSummary = {
          method: opts.method,
          treatment: opts.treatment,
          outcome: opts.outcome,
          seed,
          trainRows: { treated, control: rows.length - treated },
          scoredRows: uplift.length,
          out: opts.out,
          evaluation,
          ...(evaluationSkipped === undefined ? {} : { evaluationSkipped }),
          seconds: (performance.now() - started) / 1000,
        };
        printResult(summary, opts.json, renderEvalUplift);
      }),
    );
}
