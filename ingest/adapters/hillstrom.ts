import path from "node:path";
import { z } from "zod";
import { IngestFileError } from "../../core/errors.js";
import type { Db } from "../../store/db.js";
import { ensureExperiment, upsertExternalExperimentBatch, type ExternalExperimentRow } from "../../store/experiments-repo.js";
import { numberField } from "../formats.js";
import { describeIssues, readableSize, type IngestSummary } from "../ingest-file.js";
import { readRecords } from "../read-records.js";
import { HeaderError, runLoad, type RunLoadOptions } from "../run-load.js";

/**
 * Kevin Hillstrom's MineThatData e-mail test (2008): customers who bought in the last 12 months,
 * randomized to a Mens e-mail, a Womens e-mail or none, with visits, conversions and spend over
 * the following two weeks. Loaded as customers (history fields kept as attributes), one external
 * experiment, each customer's arm and outcome. Customer ids are "hillstrom-" plus the data row
 * number (first data row = 1), so the same file always yields the same ids.
 */
export const HILLSTROM_EXPERIMENT_ID = "hillstrom-2008";
// The data set has no dates; Pulse places the campaign on a nominal date and derives signup from `newbie`.
const CAMPAIGN_DATE = new Date("2008-03-01T00:00:00Z");
const REQUIRED = [
  "recency",
  "history_segment",
  "history",
  "mens",
  "womens",
  "zip_code",
  "newbie",
  "channel",
  "segment",
  "visit",
  "conversion",
  "spend",
];
const ARMS = ["Mens E-Mail", "Womens E-Mail", "No E-Mail"] as const;

const flag = numberField.pipe(z.union([z.literal(0), z.literal(1)], { error: "must be 0 or 1" }));
const hillstromRowSchema = z.object({
  recency: numberField.pipe(z.number().int().min(1).max(12)),
  history_segment: z.string().min(1, "missing"),
  history: numberField.pipe(z.number().min(0, "must not be negative")),
  mens: flag,
  womens: flag,
  zip_code: z.enum(["Urban", "Surburban", "Rural"], { error: "unknown value, expected Urban, Surburban or Rural" }),
  newbie: flag,
  channel: z.enum(["Phone", "Web", "Multichannel"], { error: "unknown value, expected Phone, Web or Multichannel" }),
  segment: z.enum(ARMS, { error: `unknown arm, expected ${ARMS.join(", ")}` }),
  visit: flag,
  conversion: flag,
  spend: numberField.pipe(z.number().min(0, "must not be negative")),
});

export async function ingestHillstrom(db: Db, file: string, options: RunLoadOptions = {}): Promise<IngestSummary> {
  const totalBytes = await readableSize(file);
  let headerError: string | undefined;
  const onHeader = (columns: string[]) => {
    const missing = REQUIRED.filter((c) => !columns.includes(c));
    if (missing.length)
      headerError = `${file}: header not recognised as Hillstrom: missing ${missing.join(", ")}; expected ${REQUIRED.join(", ")}`;
  };
  await ensureExperiment(db, {
    experimentId: HILLSTROM_EXPERIMENT_ID,
    name: "Hillstrom MineThatData e-mail test (2008)",
    source: "hillstrom",
    salt: "external",
    holdoutShares: { "No E-Mail": 1 / 3 },
    startedAt: CAMPAIGN_DATE,
  });
  const observedAt = new Date(CAMPAIGN_DATE.getTime() + 14 * 86_400_000);
  try {
    const summary = await runLoad<ExternalExperimentRow>(
      db,
      {
        label: "hillstrom",
        fileName: path.basename(file),
        format: "hillstrom",
        totalBytes,
        records: readRecords(file, "csv", onHeader),
        headerError: () => headerError,
        validate: (values, lineNo) => {
          const parsed = hillstromRowSchema.safeParse(values);
          if (!parsed.success) return { error: describeIssues(parsed.error) };
          const r = parsed.data;
          const months = r.newbie ? 6 : 24;
          return {
            row: {
              customerId: `hillstrom-${lineNo - 1}`,
              region: r.zip_code,
              signupAt: new Date(CAMPAIGN_DATE.getTime() - months * 30.4375 * 86_400_000),
              attributes: {
                source: "hillstrom",
                recency_months: r.recency,
                history_segment: r.history_segment,
                history: r.history,
                mens: r.mens,
                womens: r.womens,
                newbie: r.newbie,
                purchase_channel: r.channel,
              },
              armLabel: r.segment,
              treated: r.segment !== "No E-Mail",
              visited: r.visit === 1,
              converted: r.conversion === 1,
              revenue: r.spend,
            },
          };
        },
        key: (row) => row.customerId,
        write: (rows) => upsertExternalExperimentBatch(db, HILLSTROM_EXPERIMENT_ID, observedAt, rows),
        tables: ["customers", "holdout_assignments", "experiment_outcomes"],
      },
      options,
    );
    return { ...summary, kind: "hillstrom", file, format: "hillstrom" };
  } catch (err) {
    if (err instanceof HeaderError) throw new IngestFileError(err.message);
    throw err;
  }
}
