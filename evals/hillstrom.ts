import { CsvError, parse } from "csv-parse/sync";
import { z } from "zod";
import { InputError } from "../core/errors.js";

/**
 * Kevin Hillstrom's MineThatData e-mail test (2008), as CSV: parsing into typed rows, feature
 * encoding for the uplift tool, and the mapping from the `segment` column to treated / control.
 * Pure: takes the file's text, so the CLI and the evaluation own the reading.
 */

export const hillstromFeatureColumns = [
  "recency",
  "history_segment",
  "history",
  "mens",
  "womens",
  "zip_code",
  "newbie",
  "channel",
] as const;
export const hillstromOutcomes = ["visit", "conversion", "spend"] as const;
export type HillstromOutcome = (typeof hillstromOutcomes)[number];

export const hillstromSegments = ["Mens E-Mail", "Womens E-Mail", "No E-Mail"] as const;
export type HillstromSegment = (typeof hillstromSegments)[number];

export const hillstromTreatments = ["any", "Mens E-Mail", "Womens E-Mail"] as const;
export type HillstromTreatment = (typeof hillstromTreatments)[number];

const historySegments = [
  "1) $0 - $100",
  "2) $100 - $200",
  "3) $200 - $350",
  "4) $350 - $500",
  "5) $500 - $750",
  "6) $750 - $1,000",
  "7) $1,000 +",
] as const;
// "Surburban" is the source's spelling.
const zipCodes = ["Urban", "Surburban", "Rural"] as const;
const channels = ["Phone", "Web", "Multichannel"] as const;

export const HillstromRowSchema = z.object({
  /** 1-based line in the file, for error messages. */
  line: z.number().int(),
  recency: z.number(),
  history_segment: z.enum(historySegments),
  history: z.number().nonnegative(),
  mens: z.union([z.literal(0), z.literal(1)]),
  womens: z.union([z.literal(0), z.literal(1)]),
  zip_code: z.enum(zipCodes),
  newbie: z.union([z.literal(0), z.literal(1)]),
  channel: z.enum(channels),
  segment: z.enum(hillstromSegments).optional(),
  visit: z.union([z.literal(0), z.literal(1)]).optional(),
  conversion: z.union([z.literal(0), z.literal(1)]).optional(),
  spend: z.number().nonnegative().optional(),
});
export type HillstromRow = z.infer<typeof HillstromRowSchema>;

export interface HillstromFile {
  /** The header as found, in order, and each row's raw values (to write them back unchanged). */
  header: string[];
  raw: string[][];
  rows: HillstromRow[];
  hasSegment: boolean;
  outcomes: HillstromOutcome[];
}

const binaryColumns = new Set(["mens", "womens", "newbie", "visit", "conversion"]);
const numericColumns = new Set(["recency", "history", "spend"]);

function cellValue(column: string, text: string, where: string): unknown {
  if (binaryColumns.has(column)) {
    if (text !== "0" && text !== "1") throw new InputError(`${where}: column "${column}" is "${text}", expected 0 or 1`);
    return Number(text);
  }
  if (numericColumns.has(column)) {
    const v = text === "" ? Number.NaN : Number(text);
    if (!Number.isFinite(v)) throw new InputError(`${where}: column "${column}" is "${text}", expected a number`);
    return v;
  }
  return text;
}

/**
 * Parses a Hillstrom-format CSV. The eight feature columns are required; `segment` and the outcome
 * columns are optional (a file to score may lack them), but when present every row must have them.
 * Extra columns are kept in `raw` and ignored otherwise.
 */
export function parseHillstromCsv(text: string, fileLabel = "input"): HillstromFile {
  let records: string[][];
  try {
    records = parse(text, { bom: true, skip_empty_lines: true, trim: true, relax_column_count: true }) as string[][];
  } catch (err) {
    const line =
      err instanceof CsvError && typeof (err as CsvError & { lines?: number }).lines === "number"
        ? ` line ${(err as CsvError & { lines: number }).lines}`
        : "";
    throw new InputError(`${fileLabel}${line}: not a readable CSV (${err instanceof Error ? err.message : String(err)})`, { cause: err });
  }
  if (records.length === 0) throw new InputError(`${fileLabel}: empty file, expected a header line`);
  const header = records[0];
  const missing = hillstromFeatureColumns.filter((c) => !header.includes(c));
  if (missing.length > 0)
    throw new InputError(
      `${fileLabel} line 1: missing column(s) ${missing.map((c) => `"${c}"`).join(", ")}; expected ${hillstromFeatureColumns.join(", ")}`,
    );
  const known = [...hillstromFeatureColumns, "segment", ...hillstromOutcomes];
  const index = new Map(known.filter((c) => header.includes(c)).map((c) => [c, header.indexOf(c)]));

  // Blank lines are skipped by the parser, so line numbers come from counting the source's lines.
  const lineOf = lineNumbers(text);
  const rows: HillstromRow[] = [];
  for (let r = 1; r < records.length; r++) {
    const line = lineOf[r] ?? r + 1;
    const where = `${fileLabel} line ${line}`;
    const cells = records[r];
    if (cells.length !== header.length) throw new InputError(`${where}: ${cells.length} fields, the header has ${header.length}`);
    const obj: Record<string, unknown> = { line };
    for (const [column, i] of index) obj[column] = cellValue(column, cells[i], where);
    const parsed = HillstromRowSchema.safeParse(obj);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const column = String(issue.path[0] ?? "");
      throw new InputError(`${where}: column "${column}" is "${cells[index.get(column) ?? 0] ?? ""}" (${issue.message})`);
    }
    rows.push(parsed.data);
  }
  return {
    header,
    raw: records.slice(1),
    rows,
    hasSegment: index.has("segment"),
    outcomes: hillstromOutcomes.filter((c) => index.has(c)),
  };
}

/** 1-based line of each non-blank record (records never span lines in this format). */
function lineNumbers(text: string): number[] {
  const out: number[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) if (lines[i].trim() !== "") out.push(i + 1);
  return out;
}

export const hillstromFeatureNames = [
  "recency",
  "log_history",
  "mens",
  "womens",
  "newbie",
  ...zipCodes.map((z) => `zip_${z}`),
  ...channels.map((c) => `channel_${c}`),
  ...historySegments.map((_, i) => `history_segment_${i + 1}`),
] as const;

/** Numeric features: recency, log(1 + history), flags, and one-hot zip code, channel and history segment. */
export function hillstromFeatures(row: HillstromRow): number[] {
  return [
    row.recency,
    Math.log1p(row.history),
    row.mens,
    row.womens,
    row.newbie,
    ...zipCodes.map((z) => (row.zip_code === z ? 1 : 0)),
    ...channels.map((c) => (row.channel === c ? 1 : 0)),
    ...historySegments.map((s) => (row.history_segment === s ? 1 : 0)),
  ];
}

/**
 * Whether a segment counts as treated for a treatment: "any" means any e-mail vs "No E-Mail".
 * For a specific e-mail, the other e-mail arm is neither (null) and is left out of training and
 * of metrics (it still gets a prediction).
 */
export function treatmentArm(segment: HillstromSegment, treatment: HillstromTreatment): boolean | null {
  if (segment === "No E-Mail") return false;
  if (treatment === "any") return true;
  return segment === treatment ? true : null;
}

export interface HillstromUpliftRow {
  line: number;
  features: number[];
  treated: boolean;
  outcome: number;
}

/** Rows of a file that belong to the treatment or control arm, as uplift training rows. */
export function hillstromUpliftRows(
  file: HillstromFile,
  treatment: HillstromTreatment,
  outcome: HillstromOutcome,
  fileLabel = "input",
): HillstromUpliftRow[] {
  if (!file.hasSegment) throw new InputError(`${fileLabel} line 1: missing column "segment" (Mens E-Mail / Womens E-Mail / No E-Mail)`);
  if (!file.outcomes.includes(outcome)) throw new InputError(`${fileLabel} line 1: missing outcome column "${outcome}"`);
  const out: HillstromUpliftRow[] = [];
  for (const row of file.rows) {
    const arm = treatmentArm(row.segment as HillstromSegment, treatment);
    if (arm === null) continue;
    out.push({ line: row.line, features: hillstromFeatures(row), treated: arm, outcome: row[outcome] as number });
  }
  return out;
}
