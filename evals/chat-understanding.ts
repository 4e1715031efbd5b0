import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { isDeepStrictEqual } from "node:util";
import { z } from "zod";
import { INTENTS, intentSchema, type ParsedRequest } from "../agents/chat/contract.js";
import { understandOffline } from "../agents/chat/understanding/understand-offline.js";
import { trainIntentClassifier } from "../agents/chat/understanding/classify-intent.js";
import { InputError } from "../core/errors.js";

/**
 * `pulse eval chat`: how well the offline understanding reads requests it was not trained on.
 * Intent accuracy is the share of requests whose intent is right; parameter accuracy the share of
 * (request, parameter) pairs that match exactly, over the union of expected and extracted names,
 * so a missing, wrong or invented parameter each count as one error.
 */

export const chatEvalPath = fileURLToPath(new URL("./data/chat/eval.jsonl", import.meta.url));
export const chatExamplesPath = fileURLToPath(new URL("./data/chat/examples.jsonl", import.meta.url));
export const chatAudiencesPath = fileURLToPath(new URL("./data/chat/audiences.jsonl", import.meta.url));
/** Relative dates in the evaluation set are written for this instant (a Wednesday). */
export const CHAT_EVAL_NOW = new Date("2026-01-07T12:00:00Z");

export const labeledRequestSchema = z.object({
  text: z.string().min(1),
  intent: intentSchema,
  params: z.record(z.string(), z.unknown()).default({}),
});
export type LabeledRequest = z.infer<typeof labeledRequestSchema>;

export function parseLabeledJsonl(text: string, source: string): LabeledRequest[] {
  return text
    .split("\n")
    .map((line, i) => ({ line: line.trim(), n: i + 1 }))
    .filter(({ line }) => line.length > 0)
    .map(({ line, n }) => {
      let json: unknown;
      try {
        json = JSON.parse(line);
      } catch (err) {
        throw new InputError(`${source}:${n}: not JSON (${(err as Error).message})`, { cause: err });
      }
      const r = labeledRequestSchema.safeParse(json);
      if (!r.success) throw new InputError(`${source}:${n}: ${r.error.issues.map((i) => `${i.path.join(".")} ${i.message}`).join("; ")}`);
      return r.data;
    });
}

export async function loadLabeled(path: string): Promise<LabeledRequest[]> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new InputError(`cannot read ${path}: ${(err as Error).message}`, { cause: err });
  }
  return parseLabeledJsonl(text, path);
}

export interface Accuracy {
  correct: number;
  total: number;
  /** correct / total, or null with nothing to count. */
  rate: number | null;
}

export interface ChatEvalFailure {
  text: string;
  expected: { intent: string; params: Record<string, unknown> };
  got: ParsedRequest;
  wrongParams: string[];
}

export interface ChatEvalReport {
  requests: number;
  intent: Accuracy;
  params: Accuracy;
  perIntent: Array<{ name: string; requests: number; intent: Accuracy; params: Accuracy }>;
  failures: ChatEvalFailure[];
}

function accuracy(correct: number, total: number): Accuracy {
  return { correct, total, rate: total === 0 ? null : correct / total };
}

/** Scores predictions against labels (pure). `subset`: only the labelled parameters count (the public examples). */
export function scoreUnderstanding(
  labels: LabeledRequest[],
  predictions: ParsedRequest[],
  options: { subset?: boolean } = {},
): ChatEvalReport {
  const byIntent = new Map<string, { n: number; ic: number; pc: number; pt: number }>();
  const failures: ChatEvalFailure[] = [];
  let ic = 0;
  let pc = 0;
  let pt = 0;
  labels.forEach((label, i) => {
    const got = predictions[i]!;
    const row = byIntent.get(label.intent) ?? { n: 0, ic: 0, pc: 0, pt: 0 };
    byIntent.set(label.intent, row);
    row.n += 1;
    const intentOk = got.intent === label.intent;
    if (intentOk) {
      ic += 1;
      row.ic += 1;
    }
    const names = new Set([...Object.keys(label.params), ...(options.subset ? [] : Object.keys(got.params))]);
    const wrong: string[] = [];
    for (const name of names) {
      const ok = intentOk && isDeepStrictEqual(got.params[name], label.params[name]);
      if (!ok) wrong.push(name);
      pt += 1;
      row.pt += 1;
      if (ok) {
        pc += 1;
        row.pc += 1;
      }
    }
    if (!intentOk || wrong.length > 0)
      failures.push({ text: label.text, expected: { intent: label.intent, params: label.params }, got, wrongParams: wrong });
  });
  const perIntent = INTENTS.filter((intent) => byIntent.has(intent)).map((intent) => {
    const r = byIntent.get(intent)!;
    return { name: intent, requests: r.n, intent: accuracy(r.ic, r.n), params: accuracy(r.pc, r.pt) };
  });
  return { requests: labels.length, intent: accuracy(ic, labels.length), params: accuracy(pc, pt), perIntent, failures };
}

export async function runChatEval(options: { path?: string; now?: Date; subset?: boolean } = {}): Promise<ChatEvalReport> {
  const labels = await loadLabeled(options.path ?? chatEvalPath);
  const classifier = await trainIntentClassifier();
  const predictions: ParsedRequest[] = [];
  for (const label of labels) {
    const { intent, params } = await understandOffline(label.text, { now: options.now ?? CHAT_EVAL_NOW, classifier });
    predictions.push({ intent, params });
  }
  return scoreUnderstanding(labels, predictions, { subset: options.subset });
}

const pct = (a: Accuracy) => (a.rate === null ? "   -  " : `${(a.rate * 100).toFixed(1).padStart(5)}%`);

export function formatChatEval(report: ChatEvalReport, options: { failures?: boolean } = {}): string {
  const lines = [
    `Chat understanding (offline): ${report.requests} requests`,
    `  intent accuracy     ${pct(report.intent)}  (${report.intent.correct}/${report.intent.total})`,
    `  parameter accuracy  ${pct(report.params)}  (${report.params.correct}/${report.params.total} parameters, exact match)`,
    "",
    `  ${"intent".padEnd(18)} ${"requests".padStart(8)}  ${"intent".padStart(6)}  ${"params".padStart(6)}`,
    ...report.perIntent.map(
      (r) =>
        `  ${r.name.padEnd(18)} ${String(r.requests).padStart(8)}  ${pct(r.intent)}  ${pct(r.params)}  (${r.params.correct}/${r.params.total})`,
    ),
  ];
  if (options.failures && report.failures.length > 0) {
    lines.push("", "Misread requests:");
    for (const f of report.failures) {
      lines.push(`  ${JSON.stringify(f.text)}`);
      lines.push(`    expected ${f.expected.intent} ${JSON.stringify(f.expected.params)}`);
      lines.push(
        `    got      ${f.got.intent} ${JSON.stringify(f.got.params)}${f.wrongParams.length ? `  (wrong: ${f.wrongParams.join(", ")})` : ""}`,
      );
    }
  }
  return lines.join("\n");
}
