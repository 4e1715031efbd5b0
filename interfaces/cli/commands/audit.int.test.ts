import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { Command } from "commander";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { loadConfig } from "../../../core/config.js";
import { ManualClock } from "../../../core/clock.js";
import { createAuditLog } from "../../../guardrails/audit.js";
import { createTestDb, type TestDb } from "../../../store/test-db.js";
import { registerAuditCommands } from "./audit.js";

// The command wiring is the same on both back ends (the library is tested on both); PostgreSQL here.
const dir = mkdtempSync(path.join(tmpdir(), "pulse-audit-cli-"));
let t: TestDb;

async function pulse(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = "";
  const out = new Writable({
    write(chunk, _enc, cb) {
      stdout += String(chunk);
      cb();
    },
  });
  let stderr = "";
  const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => {
    stderr += String(s);
    return true;
  });
  const program = new Command().exitOverride();
  registerAuditCommands(program, { withDb: (fn) => fn(t.db, loadConfig()), out });
  process.exitCode = undefined;
  try {
    await program.parseAsync(["node", "pulse", ...args]);
  } finally {
    spy.mockRestore();
  }
  const code = Number(process.exitCode ?? 0);
  process.exitCode = undefined;
  return { code, stdout, stderr };
}

beforeAll(async () => {
  t = await createTestDb("postgres");
  const audit = createAuditLog(t.db, new ManualClock("2024-05-01T10:00:00.000Z"));
  await audit.appendMany([
    { kind: "cycle", actor: "pulse", cycleId: "cy1", entry: { event: "started" } },
    {
      kind: "segment_assignment",
      actor: "pulse",
      cycleId: "cy1",
      customerId: "c1",
      entry: { runId: "r1", segmentId: "s1", segmentName: "Bargain hunters", scores: { clv: 120, churn: 0.3 } },
    },
    {
      kind: "suppression",
      actor: "pulse",
      cycleId: "cy1",
      customerId: "c1",
      entry: { channel: "sms", reasonCode: "unsubscribed", reason: "replied STOP" },
    },
    { kind: "cycle", actor: "pulse", cycleId: "cy1", entry: { event: "finished" } },
  ]);
});
afterAll(async () => {
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  process.exitCode = undefined;
});

describe("pulse audit", () => {
  it("verify prints OK with the entry count, and BROKEN with exit 1 after tampering", async () => {
    expect(await pulse("audit", "verify")).toEqual({ code: 0, stdout: "audit verify: OK (4 entries)\n", stderr: "" });
    const json = JSON.parse((await pulse("audit", "verify", "--json")).stdout) as { ok: boolean; head: { seq: number } };
    expect(json).toMatchObject({ ok: true, head: { seq: 4 } });
  });

  it("export streams JSONL to stdout and CSV to a file; refuses a bad range with exit 3", async () => {
    const jsonl = await pulse("audit", "export", "--from", "2024-05-01", "--to", "2024-05-02");
    expect(jsonl.code).toBe(0);
    expect(
      jsonl.stdout
        .trim()
        .split("\n")
        .map((l) => (JSON.parse(l) as { seq: number }).seq),
    ).toEqual([1, 2, 3, 4]);
    const file = path.join(dir, "audit.csv");
    expect(
      (
        await pulse(
          "audit",
          "export",
          "--from",
          "2024-05-01T00:00:00Z",
          "--to",
          "2024-05-01T10:00:00.001Z",
          "--format",
          "csv",
          "--out",
          file,
        )
      ).code,
    ).toBe(0);
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(5);
    expect((await pulse("audit", "export", "--from", "2024-05-02", "--to", "2024-05-03")).stdout).toBe("");
    const bad = await pulse("audit", "export", "--from", "yesterday", "--to", "2024-05-03");
    expect(bad).toMatchObject({ code: 3, stderr: expect.stringMatching(/--from: "yesterday" is not an ISO-8601/) });
  });

  it("why explains as text or JSON; an unknown customer exits 1 with a clear message", async () => {
    const text = await pulse("audit", "why", "c1");
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Customer c1 \(segment "Bargain hunters"\) got no message in cycle cy1: suppressed \(sms: unsubscribed\)/);
    expect(JSON.parse((await pulse("audit", "why", "c1", "--cycle", "cy1", "--json")).stdout)).toMatchObject({
      outcome: "suppressed",
      segment: { segmentId: "s1" },
    });
    expect(await pulse("audit", "why", "c404")).toEqual({
      code: 1,
      stdout: "",
      stderr: 'pulse: AuditCustomerNotFoundError: audit entries for customer "c404" not found\n',
    });
  });

  it("verify exits 1 naming the edited entry", async () => {
    await t.db.transaction(async (c) => {
      await c.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update");
      await c.query("UPDATE audit_log SET customer_id = 'c2' WHERE seq = 3");
      await c.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update");
    });
    const r = await pulse("audit", "verify");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^audit verify: BROKEN at seq 3: hash mismatch/);
  });
});
