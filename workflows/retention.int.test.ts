import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { loadConfig } from "../core/config.js";
import { systemClock } from "../core/clock.js";
import { verifyAuditLog } from "../guardrails/audit-verify.js";
import type { Db } from "../store/db.js";
import { BACKENDS } from "../store/test-db.js";
import { useSimulatedWorld, worldCycleService } from "./cycle/testing/world-fixture.js";
import { pruneByPolicy } from "./retention.js";

/**
 * Retention on both back ends: an ended cycle's checkpoint history goes, its final state stays
 * readable; a cycle still waiting is untouched and can still be decided; old messages go unless
 * still queued; the audit log only gains the record of the prune.
 */

async function checkpointsOf(db: Db, cycleId: string) {
  const q = async (table: string) =>
    (await db.pool.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${table} WHERE thread_id = $1`, [cycleId])).rows[0]!.n;
  return { checkpoints: await q("checkpoints"), writes: await q("checkpoint_writes"), blobs: await q("checkpoint_blobs") };
}

async function auditCount(db: Db): Promise<number> {
  return (await db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM audit_log")).rows[0]!.n;
}

async function messageIds(db: Db): Promise<string[]> {
  return (await db.pool.query<{ message_id: string }>("SELECT message_id FROM messages ORDER BY message_id")).rows.map((r) => r.message_id);
}

const main = fileURLToPath(new URL("../interfaces/cli/main.ts", import.meta.url));
const root = fileURLToPath(new URL("../", import.meta.url));

for (const backend of BACKENDS) {
  describe(`pulse db prune by the retention policy (${backend})`, () => {
    const world = useSimulatedWorld({ customers: 200, seed: 71, backend });

    it("prunes an ended cycle's checkpoint history and old messages; the audit log is untouched but for the record of it", async () => {
      const { db, sim } = world;
      const { service, deps } = await worldCycleService(world);
      // Under the default policy new content needs a person: both cycles stop at the human gate.
      const ended = await service.start({ requestedBy: "ann", asOf: sim.asOf });
      expect(ended.waiting?.kind).toBe("approval");
      await service.decide(ended.cycleId, { decision: "rejected", by: "bob", reason: "not this week" });
      const waiting = await service.start({ requestedBy: "ann", asOf: sim.asOf });
      expect(waiting.waiting?.kind).toBe("approval");

      const endedState = await service.get(ended.cycleId);
      expect(endedState.state.status).toBe("rejected");
      const beforeEnded = await checkpointsOf(db, ended.cycleId);
      const beforeWaiting = await checkpointsOf(db, waiting.cycleId);
      expect(beforeEnded.checkpoints).toBeGreaterThan(3);

      // Messages: one past retention (400 days by default) and sent, one as old but still queued, one recent.
      for (const [id, days, status] of [
        ["m-old-sent", 500, "sent"],
        ["m-old-queued", 500, "queued"],
        ["m-recent", 10, "sent"],
      ] as const) {
        await db.pool.query(
          `INSERT INTO messages (message_id, dedupe_key, cycle_id, campaign_id, customer_id, channel, strategy, status, created_at)
           VALUES ($1, $1, 'c-old', 'camp', 'C1', 'email', 'winback', $2, now() - make_interval(days => $3::int))`,
          [id, status, days],
        );
      }
      const auditBefore = await auditCount(db);

      const prune = { db, audit: deps.audit, clock: systemClock };
      const dry = await pruneByPolicy(prune, "cli:admin", { dryRun: true });
      expect(dry.counts).toMatchObject({ cycles: 1, checkpoints: beforeEnded.checkpoints - 1, messages: 1 });
      expect(await checkpointsOf(db, ended.cycleId)).toEqual(beforeEnded);
      expect(await messageIds(db)).toEqual(["m-old-queued", "m-old-sent", "m-recent"]);
      expect(await auditCount(db)).toBe(auditBefore);

      const real = await pruneByPolicy(prune, "cli:admin");
      expect(real.counts).toEqual(dry.counts);
      const afterEnded = await checkpointsOf(db, ended.cycleId);
      expect(afterEnded.checkpoints).toBe(1);
      expect(afterEnded.blobs).toBeLessThanOrEqual(beforeEnded.blobs - real.counts.checkpointBlobs);
      expect(real.counts.checkpointBlobs + real.counts.checkpointWrites).toBeGreaterThan(0);
      // The ended cycle's final state reads back the same from its one remaining checkpoint.
      expect(await service.get(ended.cycleId)).toEqual(endedState);
      expect(await checkpointsOf(db, waiting.cycleId)).toEqual(beforeWaiting);
      expect(await messageIds(db)).toEqual(["m-old-queued", "m-recent"]);

      // The audit: nothing removed, one entry added that says what was pruned and by whom; the chain holds.
      expect(await auditCount(db)).toBe(auditBefore + 1);
      const { rows } = await db.pool.query<{ actor: string; entry: Record<string, unknown> }>(
        "SELECT actor, entry FROM audit_log ORDER BY seq DESC LIMIT 1",
      );
      expect(rows[0]).toMatchObject({ actor: "cli:admin", entry: { event: "pruned", counts: real.counts } });
      expect(await verifyAuditLog(db)).toMatchObject({ ok: true, rows: auditBefore + 1 });

      // A second prune finds nothing more; the cycle still waiting can still be decided.
      expect((await pruneByPolicy(prune, "cli:admin")).counts).toMatchObject({ cycles: 0, checkpoints: 0, messages: 0 });
      const approved = await service.decide(waiting.cycleId, { decision: "approved", by: "bob" });
      expect(approved.state.status).toBe("activated");
    }, 180_000);

    if (backend === "postgres")
      it("through the CLI: only an admin prunes; --dry-run counts without removing", async () => {
        const env = {
          PATH: process.env.PATH,
          DATABASE_URL: loadConfig().PULSE_TEST_DATABASE_URL,
          PULSE_DB_SCHEMA: world.db.schema,
          PULSE_DATA_DIR: world.outDir,
          PULSE_CLI_ROLES: "root1:admin,ann:marketer",
        };
        const run = (actor: string, ...args: string[]) =>
          promisify(execFile)(process.execPath, ["--import", "tsx", main, "db", "prune", ...args], {
            cwd: root,
            env: { ...env, PULSE_ACTOR: actor },
          }).then(
            (r) => ({ code: 0, stdout: r.stdout, stderr: r.stderr }),
            (e: { code: number; stdout: string; stderr: string }) => e,
          );
        const refused = await run("ann", "--dry-run");
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain("cli:ann (role marketer) may not admin");
        const dry = await run("root1", "--dry-run", "--json");
        expect(dry.code, dry.stderr).toBe(0);
        expect(JSON.parse(dry.stdout)).toMatchObject({ dryRun: true, counts: { messages: 0 } });
      }, 60_000);
  });
}
