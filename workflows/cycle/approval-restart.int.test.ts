import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FileOutboxConnector } from "../../connectors/file-outbox.js";
import { ManualClock } from "../../core/clock.js";
import { loadConfig } from "../../core/config.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { openDb, type Db } from "../../store/db.js";
import { createTestDb } from "../../store/test-db.js";
import { exitOf, watchOutput } from "../jobs/test-process.js";
import { InvalidApprovalError } from "../../guardrails/approval-errors.js";
import type { CycleWait } from "./service.js";
import { auditEntries, RecordingRunner, testConfig } from "./testing/cycle-test-kit.js";
import { createCycleRuntime } from "../runtime.js";

const startScript = fileURLToPath(new URL("./testing/start-cycle-process.ts", import.meta.url));

interface ChildResult {
  cycleId: string;
  asOf: string;
  status: string;
  waiting: CycleWait;
  jobs: number;
  risk: { tier: string; triggers: { code: string; message: string }[] } | null;
}

/** Runs the start-cycle child to completion and returns what it printed. */
async function startCycleInChild(options: Record<string, unknown>): Promise<ChildResult> {
  const child = spawn(process.execPath, ["--import", "tsx", startScript, JSON.stringify(options)], { stdio: ["ignore", "pipe", "pipe"] });
  const exited = exitOf(child);
  const out = watchOutput(child);
  const err = watchOutput(child, "stderr");
  const timer = setTimeout(() => child.kill("SIGKILL"), 150_000);
  const { code, signal } = await exited;
  clearTimeout(timer);
  if (code !== 0) throw new Error(`start-cycle child exited with ${code ?? signal}\nstdout:\n${out.text}\nstderr:\n${err.text}`);
  const line = out.text.split("\n").find((l) => l.startsWith("result "));
  if (!line) throw new Error(`start-cycle child printed no result\nstdout:\n${out.text}`);
  return JSON.parse(line.slice("result ".length)) as ChildResult;
}

/**
 * The cycle was started (and interrupted at the human gate) by a process that has since exited;
 * this process, with a brand-new service on the same database, refuses the requester, approves as
 * someone else and resumes the graph from its checkpoint into activation.
 */
async function approveAfterRestart(db: Db, started: ChildResult, outDir: string): Promise<void> {
  expect(started.status).toBe("awaiting_approval");
  expect(started.waiting?.kind).toBe("approval");
  expect(started.jobs).toBe(0);
  expect(started.risk?.tier).toBe("human");
  expect(started.risk?.triggers.map((t) => t.code)).toContain("new_content_version");

  const runner = new RecordingRunner();
  const clock = new ManualClock(new Date(started.asOf).getTime() + 3_600_000);
  const { service } = await createCycleRuntime(testConfig(), {
    db,
    runner,
    clock,
    connector: new FileOutboxConnector({ path: path.join(outDir, "outbox.jsonl") }),
  });

  const waiting = await service.get(started.cycleId);
  expect(waiting.state.status).toBe("awaiting_approval");
  expect(waiting.waiting).toEqual(started.waiting);
  const approvalId = (started.waiting as { approvalId: string }).approvalId;

  // (a) The requester may not approve their own plan; nothing is recorded and the cycle still waits.
  await expect(service.decide(started.cycleId, { decision: "approved", by: "ann" })).rejects.toBeInstanceOf(InvalidApprovalError);
  const { rows: pending } = await db.pool.query<{ decision: string | null }>("SELECT decision FROM approvals WHERE approval_id = $1", [
    approvalId,
  ]);
  expect(pending[0]!.decision).toBeNull();
  expect((await service.get(started.cycleId)).waiting?.kind).toBe("approval");

  // (b) Someone else approves: the graph resumes from its checkpoint and activates.
  const decided = await service.decide(started.cycleId, { decision: "approved", by: "bob", reason: "checked the new copy" });
  expect(decided.state.status).toBe("activated");
  expect(decided.waiting?.kind).toBe("attribution_window");
  expect(decided.state.approval).toMatchObject({ decision: "approved", by: "bob" });
  const activation = decided.state.activation!;
  expect(activation.treated).toBeGreaterThan(0);
  expect(runner.jobs.filter((j) => j.queue === "activation")).toHaveLength(activation.shards);
  expect(runner.jobs.filter((j) => j.queue === "measure")).toHaveLength(1);
  const { rows: cycle } = await db.pool.query<{ status: string }>("SELECT status FROM cycles WHERE cycle_id = $1", [started.cycleId]);
  expect(cycle[0]!.status).toBe("activated");

  // The request and the decision are in the audit log, and the chain is intact.
  const approvals = await auditEntries(db, started.cycleId, ["approval"]);
  expect(approvals.map((a) => [a.entry.event, a.entry.by, a.entry.byPolicy])).toEqual([
    ["requested", "ann", false],
    ["approved", "bob", false],
  ]);
  expect(approvals[0]!.entry.riskTier).toBe("human");
  expect(approvals[1]!.actor).toBe("bob");
  expect(approvals[1]!.entry.reason).toBe("checked the new copy");
  expect((await auditEntries(db, started.cycleId, ["holdout"])).length).toBe(
    activation.treated + activation.holdout + activation.globalControl,
  );
  expect(await verifyAuditLog(db)).toMatchObject({ ok: true });
}

describe("a cycle waiting for approval survives a restart of every process", () => {
  it("on PostgreSQL: started in a child process, approved in another after it exited", async () => {
    const testDb = await createTestDb("postgres");
    const outDir = await mkdtemp(path.join(tmpdir(), "pulse-cycle-approval-"));
    try {
      const started = await startCycleInChild({
        databaseUrl: loadConfig().PULSE_TEST_DATABASE_URL,
        schema: testDb.db.schema,
        world: { customers: 500, seed: 31, months: 6 },
        requestedBy: "ann",
        outbox: path.join(outDir, "child-outbox.jsonl"),
      });
      await approveAfterRestart(testDb.db, started, outDir);
    } finally {
      await testDb.drop();
      await rm(outDir, { recursive: true, force: true });
    }
  }, 180_000);

  it("on embedded PGlite: the child owns the data directory, exits, and this process reopens it", async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), "pulse-cycle-pglite-"));
    let db: Db | undefined;
    try {
      const started = await startCycleInChild({
        dataDir,
        schema: "pulse_restart",
        world: { customers: 250, seed: 32, months: 6 },
        requestedBy: "ann",
        outbox: path.join(dataDir, "child-outbox.jsonl"),
      });
      db = await openDb({ dataDir, schema: "pulse_restart" });
      expect(db.kind).toBe("pglite");
      await approveAfterRestart(db, started, dataDir);
    } finally {
      await db?.close();
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 240_000);
});
