import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createTestDb, type TestDb } from "../../../store/test-db.js";
import { runPulse, type PulseRun } from "../testing/run-pulse.js";

let testDb: TestDb;
let dataDir: string;

const ROLES = "ann:marketer,carol:compliance";

function pulse(args: string[], stdin = "", actor = "ann"): Promise<PulseRun> {
  return runPulse(args, { schema: testDb.db.schema, dataDir, actor, roles: ROLES, stdin });
}

beforeAll(async () => {
  testDb = await createTestDb("postgres");
  dataDir = await mkdtemp(path.join(tmpdir(), "pulse-chat-cli-"));
}, 60_000);
afterAll(async () => {
  await testDb.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("pulse chat", () => {
  it("--message answers one request; --json prints the reply with its intent, params and thread", async () => {
    const r = await pulse(["chat", "--message", "what can you do?", "--json", "--thread", "t-cli-1"]);
    expect(r.code, r.stderr).toBe(0);
    const reply = JSON.parse(r.stdout);
    expect(reply).toMatchObject({ threadId: "t-cli-1", intent: "help", params: {}, understoodBy: "offline" });
    expect(reply.text).toContain("plan a campaign");
  }, 60_000);

  it("refuses what the role does not allow, and audits who asked", async () => {
    const r = await pulse(["chat", "--message", "verify the audit log", "--thread", "t-cli-1"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/may not read audit answers/);
    const { rows } = await testDb.db.pool.query<{ actor: string; entry: { intent: string; threadId: string; outcome: string } }>(
      "SELECT actor, entry FROM audit_log WHERE kind = 'chat' ORDER BY seq",
    );
    expect(rows.map((x) => [x.actor, x.entry.intent, x.entry.threadId, x.entry.outcome])).toEqual([
      ["cli:ann", "help", "t-cli-1", "done"],
      ["cli:ann", "audit_verify", "t-cli-1", "refused"],
    ]);
  }, 60_000);

  it("runs an interactive session over stdin until exit", async () => {
    const r = await pulse(["chat", "--thread", "t-cli-2"], "verify the audit log\nexit\n", "carol");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("thread t-cli-2");
    expect(r.stdout).toMatch(/The audit log is intact: \d+ entries/);
  }, 60_000);

  it("rejects bad input with exit 3 (InputError) and a clear message", async () => {
    const thread = await pulse(["chat", "--message", "help", "--thread", "no spaces allowed"]);
    expect(thread.code).toBe(3);
    expect(thread.stderr).toContain("--thread:");
    const both = await pulse(["chat", "--parse-only", "--message", "help"]);
    expect(both.code).toBe(3);
    expect(both.stderr).toContain("--parse-only reads stdin");
  }, 60_000);
});
