import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { FORMATS } from "../ingest/formats.js";
import { CsvFileWriter, fastIso } from "./csv.js";
import { CsvSink, HISTORY_FILE_KINDS, writeCustomerRow, writeConsentHistory, type HistoryFileKind } from "./csv-sink.js";
import { RESPONSE_WINDOW_DAYS } from "./strategies.js";
import { World } from "./world.js";
import { publicParams, resolveWorldParams, type WorldParamsInput } from "./world-params.js";
import { MANIFEST_FILE, type WorldManifest } from "./world-manifest.js";

export interface GenerateWorldOptions extends WorldParamsInput {
  /** Directory for the ingestion files and manifest.json; created if missing. */
  out: string;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateWorldResult {
  /** The world at the end of history, ready to step. */
  world: World;
  manifest: WorldManifest;
  /** Absolute or relative paths as given by `out`. */
  files: Record<HistoryFileKind | "manifest", string>;
  elapsedMs: number;
}

/**
 * Simulates `months` of history for `customers` customers and writes it in Pulse's ingestion formats
 * (customers, consents, orders, events, responses CSVs) plus manifest.json. Deterministic: the same
 * parameters give byte-identical files. The latent truth is not written; rebuild it with
 * World.create / loadWorld and read it through sim/ground-truth.ts.
 */
export async function generateWorld(options: GenerateWorldOptions): Promise<GenerateWorldResult> {
  const started = performance.now();
  const { out, onProgress, ...params } = options;
  const resolved = resolveWorldParams(params); // fail on bad parameters before touching the disk
  await mkdir(out, { recursive: true });
  const writers = Object.fromEntries(
    HISTORY_FILE_KINDS.map((kind) => [kind, new CsvFileWriter(join(out, `${kind}.csv`), FORMATS[kind].columns)]),
  ) as Record<HistoryFileKind, CsvFileWriter>;
  const all = Object.values(writers);
  try {
    const sink = new CsvSink(writers);
    const world = await World.create(params, {
      onProgress,
      history: {
        sink,
        afterCustomer: (p, s) => {
          writeCustomerRow(writers.customers, p, resolved.seed);
          writeConsentHistory(sink, p, s, resolved.historyEnd);
        },
        flush: async () => {
          for (const w of all) if (w.full) await w.flush();
        },
      },
    });
    for (const w of all) await w.close();
    const manifest: WorldManifest = {
      generator: "pulse-sim",
      formatVersion: 1,
      seed: world.params.seed,
      params: publicParams(world.params),
      historyStart: fastIso(world.params.historyStart),
      now: fastIso(world.params.historyEnd),
      responseWindowDays: RESPONSE_WINDOW_DAYS,
      files: Object.fromEntries(HISTORY_FILE_KINDS.map((k) => [k, `${k}.csv`])) as Record<HistoryFileKind, string>,
      rowCounts: Object.fromEntries(HISTORY_FILE_KINDS.map((k) => [k, writers[k].rows])) as Record<HistoryFileKind, number>,
    };
    const manifestPath = join(out, MANIFEST_FILE);
    await writeFile(manifestPath, `${JSON.stringify(manifest, null, 2)}\n`);
    const files = Object.fromEntries(HISTORY_FILE_KINDS.map((k) => [k, writers[k].path])) as Record<HistoryFileKind, string>;
    return { world, manifest, files: { ...files, manifest: manifestPath }, elapsedMs: performance.now() - started };
  } catch (err) {
    for (const w of all) w.destroy();
    throw err;
  }
}
