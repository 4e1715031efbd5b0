/**
 * `npm run chaos`: the fault-injection suite at full size. Kills the sending worker with SIGKILL at
 * random points across activation and sending (default 10 runs × 10 kills = 100 kill points) on the
 * test PostgreSQL and Redis, then counts from the outbox and the message rows against the
 * experiment's assignments: duplicates, lost sends, holdout and global-control customers contacted.
 * Exits 1 if any of those is not zero. Options: --runs N --kills N --customers N --seed N --verbose.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { z } from "zod";
import { loadConfig } from "../../core/config.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { createTestDb } from "../../store/test-db.js";
import { loadSimulatedWorld } from "../cycle/testing/simulated-world.js";
import { createTestRedis } from "../jobs/test-redis.js";
import { killRun, type KillRunResult } from "./kill-run.js";

const optionsSchema = z.object({
  runs: z.coerce.number().int().min(1).max(100).default(10),
  kills: z.coerce.number().int().min(1).max(50).default(10),
  customers: z.coerce.number().int().min(50).max(5_000).default(400),
  seed: z.coerce.number().int().default(7),
  verbose: z.boolean().default(false),
});

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      runs: { type: "string" },
      kills: { type: "string" },
      customers: { type: "string" },
      seed: { type: "string" },
      verbose: { type: "boolean" },
    },
  });
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) {
    process.stderr.write(`chaos: ${parsed.error.issues.map((i) => `--${i.path.join(".")}: ${i.message}`).join("; ")}\n`);
    return 2;
  }
  const o = parsed.data;
  const started = Date.now();
  const testDb = await createTestDb("postgres");
  const outDir = await mkdtemp(path.join(tmpdir(), "pulse-chaos-"));
  const sim = await loadSimulatedWorld(testDb.db, { customers: o.customers, seed: o.seed, months: 6 });
  const results: KillRunResult[] = [];
  try {
    process.stdout.write(`chaos: ${o.runs} runs × ${o.kills} SIGKILLs of the sending worker, ${o.customers} customers\n`);
    for (let run = 0; run < o.runs; run++) {
      const redis = await createTestRedis();
      try {
        const r = await killRun({
          db: testDb.db,
          databaseUrl: loadConfig().PULSE_TEST_DATABASE_URL,
          redisUrl: redis.url,
          queue: redis,
          // Each run plans on a different day of the history, so its cycle is new.
          asOf: new Date(sim.asOf.getTime() - run * 86_400_000),
          outbox: path.join(outDir, `outbox-${run}.jsonl`),
          kills: o.kills,
          seed: o.seed * 1000 + run,
          ...(o.verbose ? { log: (line: string) => process.stdout.write(`${line}\n`) } : {}),
        });
        results.push(r);
        process.stdout.write(
          `run ${run + 1}: ${r.kills} kills (${r.killsInActivation} in activation, ${r.killsInSending} in sending), ${r.treated} treated, ` +
            `${r.delivered} delivered, ${r.suppressed} suppressed, ${r.duplicates} duplicates, ${r.lost} lost, ` +
            `${r.holdoutContacted} holdout / ${r.globalControlContacted} global-control contacted, ${r.stalledFailed} jobs failed as stalled, ` +
            `${r.sweptSent} sent by the sweeper, ${r.seconds.toFixed(1)} s\n`,
        );
      } finally {
        await redis.cleanup();
      }
    }
    const sum = (k: keyof KillRunResult) => results.reduce((n, r) => n + (r[k] as number), 0);
    const audit = await verifyAuditLog(testDb.db);
    process.stdout.write(
      `\ntotal: ${sum("kills")} kills (${sum("killsInActivation")} in activation, ${sum("killsInSending")} in sending) over ${results.length} runs\n` +
        `  treated ${sum("treated")}, delivered ${sum("delivered")}, suppressed at send time ${sum("suppressed")}\n` +
        `  duplicates ${sum("duplicates")}, lost sends ${sum("lost")}, holdout contacted ${sum("holdoutContacted")} (of ${sum("holdout")}), global control contacted ${sum("globalControlContacted")} (of ${sum("globalControl")})\n` +
        `  jobs BullMQ failed as stalled ${sum("stalledFailed")}, messages the sweeper sent ${sum("sweptSent")}\n` +
        `  audit chain ${audit.ok ? "verified" : "BROKEN"}; ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
    const bad = sum("duplicates") + sum("lost") + sum("holdoutContacted") + sum("globalControlContacted");
    const mismatched = results.filter((r) => r.sentRows !== r.delivered || r.sendEntries !== r.delivered).length;
    return bad === 0 && mismatched === 0 && audit.ok ? 0 : 1;
  } finally {
    await sim.cleanup();
    await testDb.drop();
    await rm(outDir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`chaos failed: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
