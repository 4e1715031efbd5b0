/**
 * The cycle at scale: a simulated retailer's history loaded into PostgreSQL through ingestion, then
 * one cycle refresh → plan → compose → review → approve (the demo's admin policy) → activate into
 * the file outbox, with jobs run in-process. Prints each phase's time, ingest rows/s, sends/s and
 * peak RSS of this process (sampled; PostgreSQL's own memory is not counted), at N/10 and at N in
 * the same run, with the ratio N vs N/10.
 *   npm run bench:cycle -- --customers 100000 [--seed 1]
 * Generated histories are cached under the OS temporary folder, keyed by seed and size.
 */
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { z } from "zod";
import { createConnector } from "../connectors/create-connector.js";
import { ManualClock } from "../core/clock.js";
import { loadConfig } from "../core/config.js";
import type { IngestKind } from "../ingest/formats.js";
import { ingestFile } from "../ingest/ingest-file.js";
import { generateWorld } from "../sim/index.js";
import { MANIFEST_FILE, readWorldManifest } from "../sim/world-manifest.js";
import { messageCounts } from "../store/messages-repo.js";
import { createTestDb } from "../store/test-db.js";
import { buildCycleGraph } from "../workflows/cycle/graph.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../workflows/demo.js";
import { createCycleRuntime } from "../workflows/runtime.js";
import { benchSizes, CYCLE_NODES, cycleBenchOptionsSchema, formatTable, nodeSeconds, type BenchRow } from "./cycle-figures.js";

const KINDS = ["customers", "consents", "orders", "events", "responses"] as const satisfies readonly IngestKind[];

let peak = 0;
const sampleRss = () => (peak = Math.max(peak, process.memoryUsage().rss));
const sampler = setInterval(sampleRss, 100);

/** The history for this seed and size, generated once and reused from the temporary folder. */
async function history(customers: number, seed: number): Promise<{ dir: string; generatedSeconds: number | undefined }> {
  const root = path.join(tmpdir(), "pulse-bench-cycle");
  const dir = path.join(root, `seed-${seed}-customers-${customers}`);
  if (existsSync(path.join(dir, MANIFEST_FILE))) return { dir, generatedSeconds: undefined };
  const started = performance.now();
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(path.join(root, "generating-"));
  await generateWorld({ customers, seed, out: work });
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return { dir, generatedSeconds: (performance.now() - started) / 1000 };
}

interface SizeFigures {
  customers: number;
  figures: Record<string, number>;
  sends: number;
  ingestRows: number;
}

async function measure(customers: number, seed: number): Promise<SizeFigures> {
  console.error(`[${customers.toLocaleString("en")} customers] history ...`);
  const { dir, generatedSeconds } = await history(customers, seed);
  const manifest = await readWorldManifest(dir);
  const t = await createTestDb("postgres");
  const outDir = mkdtempSync(path.join(tmpdir(), "pulse-bench-outbox-"));
  global.gc?.();
  peak = process.memoryUsage().rss;
  const figures: Record<string, number> = {};
  if (generatedSeconds !== undefined) figures.generate = generatedSeconds;
  try {
    console.error(`[${customers.toLocaleString("en")} customers] ingest ...`);
    let ingestRows = 0;
    let started = performance.now();
    for (const kind of KINDS) ingestRows += (await ingestFile(t.db, kind, path.join(dir, manifest.files[kind]))).rowsRead;
    figures.ingest = (performance.now() - started) / 1000;

    const asOf = new Date(manifest.now);
    const clock = new ManualClock(asOf);
    const connector = createConnector({ kind: "file", path: path.join(outDir, "outbox.jsonl") });
    // Offline: the benchmark measures the data plane, not an LLM server.
    const runtime = await createCycleRuntime(
      { ...loadConfig(), OPENAI_API_KEY: undefined },
      { db: t.db, runner: "in-process", inProcess: { sleep: async () => {} }, clock, connector, actor: "pulse" },
    );
    try {
      await setDemoPolicy(t.db, clock);
      console.error(`[${customers.toLocaleString("en")} customers] cycle ...`);
      started = performance.now();
      const run = await runtime.service.start({ requestedBy: "bench", asOf, settings: DEMO_SETTINGS });
      figures.graph = (performance.now() - started) / 1000;
      if (run.waiting?.kind !== "attribution_window") throw new Error(`the cycle stopped at ${run.state.status}, expected it activated`);
      // Activation shards are jobs due now; the sends they queue are due at each customer's send hour.
      let mark = performance.now();
      await runtime.drain();
      figures.shards = (performance.now() - mark) / 1000;
      clock.advanceDays(2);
      mark = performance.now();
      const drained = await runtime.drain();
      figures.send = (performance.now() - mark) / 1000;
      figures.cycle = (performance.now() - started) / 1000;
      if (drained.failed > 0) throw new Error(`${drained.failed} jobs failed during activation and sending`);

      // Per-node wall time from the cycle's checkpoints (their timestamps are real time, not the simulated clock).
      const saver = new PostgresSaver(t.db.pool, undefined, { schema: t.db.schema });
      const graph = buildCycleGraph(runtime.deps).compile({ checkpointer: saver });
      const marks = [];
      for await (const snap of graph.getStateHistory({ configurable: { thread_id: run.cycleId } }))
        if (snap.createdAt) marks.push({ createdAt: snap.createdAt, next: snap.next });
      Object.assign(figures, nodeSeconds(marks));
      for (const [phase, seconds] of Object.entries(run.state.refresh?.phases ?? {})) figures[`refresh.${phase}`] = seconds;

      const counts = await messageCounts(t.db, run.cycleId);
      const queued = counts.filter((m) => m.status === "queued").reduce((s, m) => s + m.n, 0);
      if (queued > 0) throw new Error(`${queued} messages still queued after the sends were due`);
      const sends = counts.filter((m) => m.status === "sent").reduce((s, m) => s + m.n, 0);
      const outboxLines = (await readFile(path.join(outDir, "outbox.jsonl"), "utf8")).split("\n").filter(Boolean).length;
      if (outboxLines !== sends) throw new Error(`${sends} messages sent but ${outboxLines} lines in the outbox`);
      sampleRss();
      figures.peakRssMiB = peak / 2 ** 20;
      return { customers, figures, sends, ingestRows };
    } finally {
      await runtime.close();
      await connector.close?.();
    }
  } finally {
    await t.drop();
    rmSync(outDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { customers: { type: "string", default: "100000" }, seed: { type: "string", default: "1" } } });
  const parsed = cycleBenchOptionsSchema.safeParse(values);
  if (!parsed.success) {
    console.error(`bench:cycle: ${z.prettifyError(parsed.error)}\nusage: npm run bench:cycle -- --customers N [--seed S]`);
    process.exit(2);
  }
  const sizes = benchSizes(parsed.data.customers);
  const small = await measure(sizes[0], parsed.data.seed);
  const large = await measure(sizes[1], parsed.data.seed);
  clearInterval(sampler);

  const fig = (s: SizeFigures, k: string) => s.figures[k];
  const row = (label: string, unit: string, f: (s: SizeFigures) => number | undefined): BenchRow => ({
    label,
    unit,
    small: f(small),
    large: f(large),
  });
  const rows: BenchRow[] = [
    ...(small.figures.generate !== undefined || large.figures.generate !== undefined
      ? [row("generate history (not cached)", "s", (s) => fig(s, "generate"))]
      : []),
    row("ingest rows", "rows", (s) => s.ingestRows),
    row("ingest", "s", (s) => fig(s, "ingest")),
    row("ingest", "rows/s", (s) => s.ingestRows / fig(s, "ingest")!),
    ...CYCLE_NODES.flatMap((n) => [
      row(n, "s", (s) => fig(s, n)),
      // The refresh node's own phases (load, segment, save_segments, models, save_scores, audit).
      ...(n === "refresh_segments"
        ? Object.keys(large.figures)
            .filter((k) => k.startsWith("refresh."))
            .map((k) => row(`  ${k}`, "s", (s) => fig(s, k)))
        : []),
    ]),
    row("activation shards (jobs)", "s", (s) => fig(s, "shards")),
    row("sends into the outbox (jobs)", "s", (s) => fig(s, "send")),
    row("cycle, refresh to last send", "s", (s) => fig(s, "cycle")),
    row("sent", "msgs", (s) => s.sends),
    row("sends/s, send jobs only", "msgs/s", (s) => s.sends / fig(s, "send")!),
    row("sends/s, activate to last send", "msgs/s", (s) => s.sends / (fig(s, "activate")! + fig(s, "shards")! + fig(s, "send")!)),
    row("peak RSS of this process", "MiB", (s) => fig(s, "peakRssMiB")),
  ];
  console.log(`cycle on PostgreSQL, in-process jobs, file outbox, offline policy; seed ${parsed.data.seed}`);
  console.log(formatTable(sizes, rows));
}

await main();
