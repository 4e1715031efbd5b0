import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemClock } from "../core/clock.js";
import { loadConfig } from "../core/config.js";
import { createLogger } from "../core/logger.js";
import { createAuditLog } from "../guardrails/audit.js";
import { checkpointKeyFor, verifyAuditWithCheckpoints } from "../guardrails/audit-checkpoint-file.js";
import { createTestDb, type TestDb } from "../store/test-db.js";
import { waitUntil } from "./cycle/testing/cycle-test-kit.js";
import { MAINTENANCE_ACTOR, startMaintenance } from "./maintenance.js";

/** The worker's periodic chores on real timers: checkpoints keep coming while the log grows, and each verifies. */

let t: TestDb;
const dir = mkdtempSync(path.join(tmpdir(), "pulse-maintenance-"));
beforeAll(async () => {
  t = await createTestDb("postgres");
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

describe("worker maintenance", () => {
  it("writes a signed checkpoint at start and every interval, and prunes by the retention policy", async () => {
    const file = path.join(dir, "checkpoints.jsonl");
    const config = {
      ...loadConfig(),
      PULSE_AUDIT_KEY: "maintenance-test-secret-1234",
      PULSE_AUDIT_KEY_FILE: undefined,
      PULSE_AUDIT_CHECKPOINT_FILE: file,
      PULSE_AUDIT_CHECKPOINT_MINUTES: 0.002, // 120 ms
      PULSE_PRUNE_MINUTES: 60,
    };
    const audit = createAuditLog(t.db);
    await audit.append({ kind: "cycle", actor: "pulse", cycleId: "cy1", entry: { event: "started" } });
    const m = startMaintenance({ db: t.db, audit, clock: systemClock, config, logger: createLogger("silent") });
    const lines = () => Promise.resolve(readFileSync(file, { encoding: "utf8", flag: "a+" }).trim().split("\n").filter(Boolean));
    await waitUntil(lines, (l) => l.length >= 2, { timeoutMs: 10_000, what: "two checkpoints" });
    await audit.append({ kind: "cycle", actor: "pulse", cycleId: "cy1", entry: { event: "finished" } });
    const seqs = async () => (await lines()).map((l) => (JSON.parse(l) as { seq: number }).seq);
    await waitUntil(seqs, (s) => s.at(-1)! >= 3, { timeoutMs: 10_000, what: "a checkpoint of the newer head" });
    await m.stop();

    const { rows } = await t.db.pool.query<{ actor: string; entry: { event: string } }>(
      "SELECT actor, entry FROM audit_log WHERE kind = 'policy'",
    );
    expect(rows).toEqual([expect.objectContaining({ actor: MAINTENANCE_ACTOR, entry: expect.objectContaining({ event: "pruned" }) })]);
    const r = await verifyAuditWithCheckpoints(t.db, file, await checkpointKeyFor(config));
    expect(r).toMatchObject({ ok: true, problems: [] });
    expect(r.checkpoints).toBe((await lines()).length);
    // Stopped: no more lines appear.
    const n = (await lines()).length;
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect((await lines()).length).toBe(n);
  }, 30_000);
});
