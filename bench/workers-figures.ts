/** Pure helpers of bench/workers.bench.ts: its options and the table of throughput per worker count. */
import { z } from "zod";

const workerListSchema = z
  .string()
  .transform((s) => s.split(",").map((p) => (p.trim() === "" ? Number.NaN : Number(p))))
  .pipe(z.array(z.number().int().min(1).max(16)).min(1));

export const workersBenchOptionsSchema = z.object({
  customers: z.coerce.number().int().min(100).max(1_000_000),
  seed: z.coerce.number().int().min(0),
  /** Worker counts to run, in order (a count may repeat, e.g. 1,2,3,4,1 to see drift on a shared machine). */
  workers: workerListSchema,
  shardSize: z.coerce.number().int().min(10).max(100_000),
  /** `pulse worker --send-concurrency` (unset: the worker's default). */
  sendConcurrency: z.coerce.number().int().min(1).max(10_000).optional(),
});
export type WorkersBenchOptions = z.infer<typeof workersBenchOptionsSchema>;

export interface WorkersRun {
  workers: number;
  treated: number;
  shards: number;
  sent: number;
  activationSeconds: number;
  seconds: number;
  duplicates: number;
  lost: number;
  heldOutContacted: number;
  /** Sends per worker process (completed send jobs), in descending order. */
  sendsPerWorker: number[];
  shardsPerWorker: number[];
  /** CPU seconds the worker processes used during the run, and the machine's busy share of its cores (0..1). */
  workerCpuSeconds: number;
  machineBusy: number;
}

export const sendsPerSecond = (r: WorkersRun) => r.sent / r.seconds;

/** Throughput relative to the first 1-worker run (or the first run when there is none). */
export function ratiosToOneWorker(runs: readonly WorkersRun[]): number[] {
  const base = runs.find((r) => r.workers === 1) ?? runs[0];
  return runs.map((r) => (base ? sendsPerSecond(r) / sendsPerSecond(base) : Number.NaN));
}

const fmt = (v: number, digits: number) => (Number.isFinite(v) ? v.toFixed(digits) : "n/a");

/** A fixed-width table: one line per run. */
export function formatWorkersTable(runs: readonly WorkersRun[]): string {
  const ratios = ratiosToOneWorker(runs);
  const head = [
    "workers",
    "treated",
    "shards",
    "activation s",
    "activation+send s",
    "sends/s",
    "vs 1 worker",
    "dup",
    "lost",
    "held-out contacted",
    "sends per worker",
    "shards per worker",
    "worker CPU s",
    "CPU ms/send",
    "machine busy",
  ];
  const body = runs.map((r, i) => [
    String(r.workers),
    r.treated.toLocaleString("en"),
    String(r.shards),
    fmt(r.activationSeconds, 2),
    fmt(r.seconds, 2),
    Math.round(sendsPerSecond(r)).toLocaleString("en"),
    `×${fmt(ratios[i]!, 2)}`,
    String(r.duplicates),
    String(r.lost),
    String(r.heldOutContacted),
    r.sendsPerWorker.join("/"),
    r.shardsPerWorker.join("/"),
    fmt(r.workerCpuSeconds, 1),
    fmt((r.workerCpuSeconds * 1000) / r.sent, 2),
    `${fmt(r.machineBusy * 100, 0)}%`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
