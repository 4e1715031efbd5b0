/** Pure helpers of bench/cycle.bench.ts: its options, the per-node times from checkpoints, and the table. */
import { z } from "zod";

export const cycleBenchOptionsSchema = z.object({
  customers: z.coerce.number().int().min(100).max(2_000_000),
  seed: z.coerce.number().int().min(0),
});
export type CycleBenchOptions = z.infer<typeof cycleBenchOptionsSchema>;

/** The sizes one run measures: N/10 then N, so growth shows as a ratio. */
export function benchSizes(customers: number): [number, number] {
  return [Math.max(10, Math.round(customers / 10)), customers];
}

/** The cycle's nodes this benchmark reports, in graph order (LangGraph's node names). */
export const CYCLE_NODES = ["refresh_segments", "plan_campaigns", "compose", "review_plan", "approve", "activate"] as const;

/** One checkpoint of a cycle's history: when it was written and which nodes were due next. */
export interface CheckpointMark {
  createdAt: string;
  next: readonly string[];
}

/**
 * Seconds each node took, from a thread's checkpoints (any order): a node runs from the checkpoint
 * that has it due next to the following checkpoint. Nodes never seen due are left out.
 */
export function nodeSeconds(history: readonly CheckpointMark[]): Record<string, number> {
  const sorted = [...history].sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
  const out: Record<string, number> = {};
  for (let i = 0; i + 1 < sorted.length; i++) {
    const seconds = (Date.parse(sorted[i + 1]!.createdAt) - Date.parse(sorted[i]!.createdAt)) / 1000;
    for (const node of sorted[i]!.next) out[node] = (out[node] ?? 0) + seconds;
  }
  return out;
}

/** "×9.8" for b/a; "n/a" when either side is missing or a is zero. */
export function formatRatio(a: number | undefined, b: number | undefined): string {
  if (a === undefined || b === undefined || !Number.isFinite(a) || !Number.isFinite(b) || a <= 0) return "n/a";
  return `×${(b / a).toFixed(b / a >= 100 ? 0 : 1)}`;
}

export interface BenchRow {
  label: string;
  unit: string;
  small: number | undefined;
  large: number | undefined;
}

function formatValue(v: number | undefined, unit: string): string {
  if (v === undefined) return "-";
  if (unit === "s") return v.toFixed(v < 10 ? 2 : 1);
  return Math.round(v).toLocaleString("en");
}

/** A fixed-width table: one line per figure at N/10 and N and their ratio. */
export function formatTable(sizes: [number, number], rows: readonly BenchRow[]): string {
  const head = ["figure", `${sizes[0].toLocaleString("en")} customers`, `${sizes[1].toLocaleString("en")} customers`, "ratio"];
  const body = rows.map((r) => [
    `${r.label} (${r.unit})`,
    formatValue(r.small, r.unit),
    formatValue(r.large, r.unit),
    formatRatio(r.small, r.large),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line)].join("\n");
}
