import { readFile } from "node:fs/promises";

/** Linux CPU figures from /proc, for benchmarks (NaN where /proc is not there). */

// Clock ticks per second of /proc's CPU times: 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)).
const TICKS = 100;

/** CPU seconds (user + system) a process has used so far. */
export async function processCpuSeconds(pid: number): Promise<number> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Fields after the command name (which may hold spaces) start after the last ")".
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return Number.NaN;
  }
}

export interface MachineCpu {
  busy: number;
  total: number;
}

/** The machine's CPU time so far, busy and total (all cores). */
export async function machineCpu(): Promise<MachineCpu> {
  try {
    const line = (await readFile("/proc/stat", "utf8")).split("\n")[0]!;
    const t = line.trim().split(/\s+/).slice(1).map(Number);
    const total = t.reduce((a, b) => a + b, 0);
    // idle and iowait are not busy.
    return { busy: total - (t[3] ?? 0) - (t[4] ?? 0), total };
  } catch {
    return { busy: Number.NaN, total: Number.NaN };
  }
}

/** Busy share of the machine's cores between two readings (0..1). */
export const busyShare = (a: MachineCpu, b: MachineCpu) => (b.busy - a.busy) / (b.total - a.total);
