import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readAuditPage } from "../../../store/audit-repo.js";
import { createTestDb, type TestDb } from "../../../store/test-db.js";
import { runPulse, type PulseRun } from "../testing/run-pulse.js";

let testDb: TestDb;
let dataDir: string;

function pulse(args: string[], actor: string): Promise<PulseRun> {
  return runPulse(args, { schema: testDb.db.schema, dataDir, actor, roles: "ann:marketer,bob:admin" });
}

beforeAll(async () => {
  testDb = await createTestDb("postgres");
  dataDir = await mkdtemp(path.join(tmpdir(), "pulse-token-cli-"));
}, 60_000);
afterAll(async () => {
  await testDb.drop();
  await rm(dataDir, { recursive: true, force: true });
});

describe("pulse token", () => {
  it("only an admin creates, lists and revokes tokens; the audit records which operator did", async () => {
    const refused = await pulse(["token", "create", "--role", "admin", "--name", "ann-self"], "ann");
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/only an admin creates tokens/);
    expect((await pulse(["token", "list"], "ann")).code).not.toBe(0);

    const created = await pulse(["token", "create", "--role", "approver", "--name", "carol", "--json"], "bob");
    expect(created.code, created.stderr).toBe(0);
    expect(JSON.parse(created.stdout)).toMatchObject({ name: "carol", role: "approver" });
    expect((await pulse(["token", "revoke", "carol"], "ann")).code).not.toBe(0);
    const revoked = await pulse(["token", "revoke", "carol"], "bob");
    expect(revoked.code, revoked.stderr).toBe(0);

    const access = (await readAuditPage(testDb.db, 0, 1_000)).filter((r) => r.kind === "access");
    expect(access.map((r) => [r.actor, (r.entry as { event: string }).event])).toEqual([
      ["cli:bob", "token_created"],
      ["cli:bob", "token_revoked"],
    ]);
  }, 120_000);
});
