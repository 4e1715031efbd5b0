import { readFile } from "node:fs/promises";
import { Command, InvalidArgumentError, Option } from "commander";
import { SingleBar, Presets } from "cli-progress";
import { z } from "zod";
import { InputError, exitCodeFor } from "../../../core/errors.js";
import { ARCHETYPES, type ArchetypeMix } from "../../../sim/archetypes.js";
import { DAY_MS } from "../../../sim/calendar.js";
import { generateWorld } from "../../../sim/generate-world.js";
import { writeStepFiles } from "../../../sim/step-files.js";
import { simMessageSchema, type SimMessageInput } from "../../../sim/strategies.js";
import { loadWorld } from "../../../sim/world-manifest.js";
import { DEFAULT_START } from "../../../sim/world-params.js";

const positiveInt = (name: string) => (value: string) => {
  if (!/^\d+$/.test(value) || Number(value) < 1 || !Number.isSafeInteger(Number(value))) {
    throw new InvalidArgumentError(`${name} must be a positive whole number`);
  }
  return Number(value);
};
const nonNegativeInt = (value: string) => {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) throw new InvalidArgumentError("must be a whole number >= 0");
  return Number(value);
};

/** `premium_loyalist=0.2,coupon_floater=0.3`: named archetypes take these shares, the rest share the remainder. */
function parseMix(value: string): ArchetypeMix {
  const mix: ArchetypeMix = {};
  for (const part of value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, weight] = part.split("=");
    if (!(ARCHETYPES as readonly string[]).includes(name) || weight === undefined || !(Number(weight) >= 0)) {
      throw new InvalidArgumentError(`expected archetype=weight pairs; archetypes: ${ARCHETYPES.join(", ")}`);
    }
    mix[name as (typeof ARCHETYPES)[number]] = Number(weight);
  }
  return mix;
}

function progressBar(enabled: boolean, label: string) {
  if (!enabled) return { update: (_d: number, _t: number) => {}, stop: () => {} };
  const bar = new SingleBar(
    { format: `${label} [{bar}] {percentage}% | {value}/{total} customers | {duration}s`, stream: process.stderr },
    Presets.shades_classic,
  );
  let started = false;
  return {
    update(done: number, total: number) {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    },
    stop() {
      if (started) bar.stop();
    },
  };
}

function fail(err: unknown): void {
  process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exitCode = exitCodeFor(err);
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

async function readMessages(path: string): Promise<SimMessageInput[]> {
  const text = await readFile(path, "utf8").catch((err: unknown) => {
    throw new InputError(`cannot read ${path}`, { cause: err });
  });
  const out: SimMessageInput[] = [];
  const lines = text.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    if (lines[i].trim() === "") continue;
    let raw: unknown;
    try {
      raw = JSON.parse(lines[i]);
    } catch {
      throw new InputError(`${path}:${i + 1}: not JSON`);
    }
    const parsed = simMessageSchema.safeParse(raw);
    if (!parsed.success) throw new InputError(`${path}:${i + 1}: ${z.prettifyError(parsed.error)}`);
    out.push(raw as SimMessageInput);
  }
  return out;
}

export function registerSimCommands(program: Command): void {
  const sim = program.command("sim").description("The seeded retail world simulator: generate history, step time forward.");

  sim
    .command("generate")
    .description(
      "Simulate months of a retailer's history and write it in Pulse's ingestion formats (customers, consents, " +
        "orders, events, responses CSV) plus manifest.json. Same seed => identical files.",
    )
    .requiredOption("--customers <n>", "number of customers", positiveInt("--customers"))
    .requiredOption("--seed <s>", "random seed (whole number)", nonNegativeInt)
    .requiredOption("--out <dir>", "output directory (created if missing)")
    .option("--start <date>", "first day of history, YYYY-MM-DD (UTC)", DEFAULT_START)
    .option("--months <m>", "months of history", positiveInt("--months"), 12)
    .addOption(
      new Option("--mix <pairs>", `archetype shares, e.g. coupon_floater=0.3,premium_loyalist=0.1 (${ARCHETYPES.join(", ")})`).argParser(
        parseMix,
      ),
    )
    .option("--json", "print the manifest and timing as JSON")
    .action(
      async (opts: { customers: number; seed: number; out: string; start: string; months: number; mix?: ArchetypeMix; json?: boolean }) => {
        const bar = progressBar(Boolean(process.stderr.isTTY) && !opts.json, "simulating");
        try {
          const result = await generateWorld({
            customers: opts.customers,
            seed: opts.seed,
            start: opts.start,
            months: opts.months,
            archetypeMix: opts.mix,
            out: opts.out,
            onProgress: (d, t) => bar.update(d, t),
          });
          bar.stop();
          const seconds = result.elapsedMs / 1000;
          if (opts.json) {
            process.stdout.write(
              `${JSON.stringify({ out: opts.out, elapsedSeconds: Number(seconds.toFixed(2)), manifest: result.manifest }, null, 2)}\n`,
            );
            return;
          }
          const m = result.manifest;
          const lines = [
            `Simulated ${m.params.customers} customers, ${m.params.months} months (${m.historyStart} .. ${m.now}), seed ${m.seed}`,
            ...Object.entries(m.rowCounts).map(
              ([k, n]) => `  ${k.padEnd(10)} ${pad(n.toLocaleString("en-US"), 12)} rows  ${result.files[k as keyof typeof m.rowCounts]}`,
            ),
            `  manifest   ${result.files.manifest}`,
            `Done in ${seconds.toFixed(1)} s; simulated now = ${m.now}`,
          ];
          process.stdout.write(`${lines.join("\n")}\n`);
        } catch (err) {
          bar.stop();
          fail(err);
        }
      },
    );

  sim
    .command("step")
    .description(
      "Rebuild a generated world from its manifest, move it forward from its 'now' by --days, deliver the " +
        "messages in --messages (JSON lines: messageId, customerId, channel, strategy, offerDepth, sentAt, campaignId?), " +
        "and write responses, orders, events and consents CSV for ingestion.",
    )
    .requiredOption("--world <dir>", "directory written by `sim generate` (or its manifest.json)")
    .requiredOption("--out <dir>", "directory for the step's files")
    .option("--days <n>", "length of the step in days", positiveInt("--days"), 7)
    .option("--messages <file>", "messages to deliver, JSON lines")
    .option("--json", "print counts as JSON")
    .action(async (opts: { world: string; out: string; days: number; messages?: string; json?: boolean }) => {
      const bar = progressBar(Boolean(process.stderr.isTTY) && !opts.json, "replaying history");
      try {
        const started = performance.now();
        const messages = opts.messages ? await readMessages(opts.messages) : [];
        const world = await loadWorld(opts.world, { onProgress: (d, t) => bar.update(d, t) });
        bar.stop();
        const from = world.now;
        const to = new Date(from.getTime() + opts.days * DAY_MS);
        const result = world.step({ to, messages });
        const written = await writeStepFiles(result, opts.out);
        const undelivered: Record<string, number> = {};
        for (const u of result.undelivered) undelivered[u.reason] = (undelivered[u.reason] ?? 0) + 1;
        const seconds = (performance.now() - started) / 1000;
        if (opts.json) {
          process.stdout.write(
            `${JSON.stringify({ from: from.toISOString(), to: to.toISOString(), messages: messages.length, undelivered, ...written, elapsedSeconds: Number(seconds.toFixed(2)) }, null, 2)}\n`,
          );
          return;
        }
        const lines = [
          `Stepped ${from.toISOString()} .. ${to.toISOString()} with ${messages.length} messages`,
          ...Object.entries(written.rowCounts).map(
            ([k, n]) => `  ${k.padEnd(10)} ${pad(n.toLocaleString("en-US"), 12)} rows  ${written.files[k as keyof typeof written.files]}`,
          ),
          `  undelivered ${
            Object.entries(undelivered)
              .map(([k, n]) => `${k}=${n}`)
              .join(", ") || "none"
          }`,
          `Done in ${seconds.toFixed(1)} s`,
        ];
        process.stdout.write(`${lines.join("\n")}\n`);
      } catch (err) {
        bar.stop();
        fail(err);
      }
    });
}
