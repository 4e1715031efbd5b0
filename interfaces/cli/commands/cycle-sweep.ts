import type { Command } from "commander";
import { loadConfig } from "../../../core/config.js";
import { InputError } from "../../../core/errors.js";
import { summarize, sweepOnce } from "../../../workflows/cycle/sweeper.js";
import { withCycle } from "../cycle-context.js";
import { printResult, runAction } from "../run-action.js";

function graceOf(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InputError(`--grace must be a non-negative integer (milliseconds), got "${value}"`);
  return n;
}

/** `pulse cycle sweep`: one sweep now (pulse worker runs the same sweep periodically). */
export function registerCycleSweepCommand(program: Command): void {
  const cycle = program.commands.find((c) => c.name() === "cycle");
  if (!cycle) throw new Error("register the cycle commands before cycle sweep");
  cycle
    .command("sweep")
    .description(
      "Re-drive what the job queue dropped: run again activation shards that left treated customers without a message, and send every message still queued past its planned time plus the grace (exactly once: the send path's guards). One audit entry per sweep with its counts.",
    )
    .option("--grace <ms>", "leave messages this long past their planned time to their jobs (default PULSE_SWEEP_GRACE_MS, 300000)")
    .option("--json", "print the counts as JSON")
    .action(
      runAction(async (opts: { grace?: string; json?: boolean }) => {
        const graceMs = graceOf(opts.grace, loadConfig().PULSE_SWEEP_GRACE_MS);
        return withCycle(async (ctx) => {
          const result = await sweepOnce(ctx.deps, { graceMs });
          // Without Redis, the send jobs a re-run activation shard enqueued run here.
          const jobs = await ctx.drain();
          printResult({ ...result, jobs }, opts.json, (r) => `${summarize(r)}${r.errors.length ? `\n  ${r.errors.join("\n  ")}` : ""}`);
          return result.failed > 0 ? 1 : 0;
        });
      }),
    );
}
