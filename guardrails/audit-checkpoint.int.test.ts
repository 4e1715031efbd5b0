import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { Command } from "commander";
import pg from "pg";
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { loadConfig, type Config } from "../core/config.js";
import { ManualClock } from "../core/clock.js";
import { registerAuditCommands } from "../interfaces/cli/commands/audit.js";
import { insertAuditRows, readAuditPage } from "../store/audit-repo.js";
import { createTestDb, type TestDb } from "../store/test-db.js";
import { chainAuditEntries, createAuditLog } from "./audit.js";
import type { NewAuditEntry } from "./audit-entries.js";

/**
 * Signed checkpoints against what a database superuser can do that the chain alone cannot show:
 * delete the newest entries (the triggers refusing DELETE switched off), or rewrite the chain from
 * some entry on with every hash recomputed. PostgreSQL, through the CLI commands.
 */

const dir = mkdtempSync(path.join(tmpdir(), "pulse-audit-checkpoint-"));
const KEY = "a-checkpoint-secret-of-some-length";
let t: TestDb;

async function pulse(config: Partial<Config>, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
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
  registerAuditCommands(program, { withDb: (fn) => fn(t.db, { ...loadConfig(), PULSE_DATA_DIR: dir, ...config }), out });
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

const entries = (n: number, from = 0): NewAuditEntry[] =>
  Array.from({ length: n }, (_, i) => ({
    kind: "suppression" as const,
    actor: "pulse",
    cycleId: "cy1",
    customerId: `c${from + i}`,
    entry: { channel: "sms" as const, reasonCode: "unsubscribed", reason: `replied STOP (${from + i})` },
  }));

/** Runs SQL as the database superuser, with the append-only triggers off for the session. */
async function asSuperuser(fn: (client: pg.Client) => Promise<void>): Promise<void> {
  const client = new pg.Client({ connectionString: loadConfig().PULSE_TEST_DATABASE_URL });
  await client.connect();
  try {
    await client.query(`SET search_path TO "${t.db.schema}"`);
    await client.query("SET session_replication_role = replica");
    await fn(client);
  } finally {
    await client.end();
  }
}

beforeEach(async () => {
  t = await createTestDb("postgres");
  await createAuditLog(t.db, new ManualClock("2024-05-01T10:00:00.000Z")).appendMany(entries(10));
});
afterEach(async () => {
  await t?.drop();
  process.exitCode = undefined;
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("pulse audit checkpoint / verify --checkpoint (PostgreSQL)", () => {
  it("an untouched log verifies against its checkpoints; later entries do not disturb earlier checkpoints", async () => {
    const file = path.join(dir, "untouched.jsonl");
    const first = await pulse({ PULSE_AUDIT_KEY: KEY }, "audit", "checkpoint", "--out", file, "--json");
    expect(first.code, first.stderr).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ v: 1, seq: 10, alg: "hmac-sha256" });
    await createAuditLog(t.db).appendMany(entries(3, 10));
    expect((await pulse({ PULSE_AUDIT_KEY: KEY }, "audit", "checkpoint", "--out", file)).code).toBe(0);
    expect(readFileSync(file, "utf8").trim().split("\n")).toHaveLength(2);

    const ok = await pulse({ PULSE_AUDIT_KEY: KEY }, "audit", "verify", "--checkpoint", file);
    expect(ok).toMatchObject({ code: 0, stderr: "" });
    expect(ok.stdout).toContain("audit verify: OK (13 entries)");
    expect(ok.stdout).toContain("checkpoints: OK (2 in");
  });

  it("the newest entries deleted by a superuser: the chain still holds, the checkpoint says how many are gone", async () => {
    const file = path.join(dir, "truncated.jsonl");
    expect((await pulse({ PULSE_AUDIT_KEY: KEY }, "audit", "checkpoint", "--out", file)).code).toBe(0);
    await asSuperuser(async (c) => {
      const r = await c.query("DELETE FROM audit_log WHERE seq > 7");
      expect(r.rowCount).toBe(3);
    });
    // What the chain alone says: nothing wrong.
    expect(await pulse({}, "audit", "verify")).toMatchObject({ code: 0, stdout: "audit verify: OK (7 entries)\n" });
    const r = await pulse({ PULSE_AUDIT_KEY: KEY }, "audit", "verify", "--checkpoint", file, "--json");
    expect(r.code).toBe(1);
    const result = JSON.parse(r.stdout) as { ok: boolean; chain: { ok: boolean }; problems: { kind: string; message: string }[] };
    expect(result.ok).toBe(false);
    expect(result.chain.ok).toBe(true);
    expect(result.problems).toEqual([
      expect.objectContaining({
        kind: "truncated",
        message: expect.stringContaining("up to seq 10, but it now ends at seq 7: 3 newest entries were removed"),
      }),
    ]);
  });

  it("a chain rewritten consistently from seq 4 on (every hash recomputed): the chain holds, the checkpoint does not", async () => {
    const file = path.join(dir, "rewritten.jsonl");
    expect((await pulse({ PULSE_AUDIT_KEY: KEY }, "audit", "checkpoint", "--out", file)).code).toBe(0);
    const rows = await readAuditPage(t.db, 0, 100);
    const head = { seq: rows[2]!.seq, hash: rows[2]!.hash };
    const forged = chainAuditEntries(
      head,
      rows.slice(3).map((r) => ({
        kind: r.kind as "suppression",
        actor: r.actor,
        cycleId: r.cycleId,
        customerId: r.customerId,
        at: r.at,
        entry: r.seq === 4 ? { ...(r.entry as object), reason: "never asked to stop" } : r.entry,
      })),
    );
    await asSuperuser(async (c) => {
      await c.query("DELETE FROM audit_log WHERE seq >= 4");
      await insertAuditRows(c as unknown as pg.PoolClient, forged);
    });
    expect(await pulse({}, "audit", "verify")).toMatchObject({ code: 0, stdout: "audit verify: OK (10 entries)\n" });
    const r = await pulse({ PULSE_AUDIT_KEY: KEY }, "audit", "verify", "--checkpoint", file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("rewritten: line 1: entry seq 10 hashes to");
    expect(r.stdout).toContain("the chain was rewritten up to there");
  });

  it("Ed25519: signed with the private key, verified with the public one; an edited checkpoint or another key is refused", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519");
    const priv = path.join(dir, "audit-ed25519.pem");
    const pub = path.join(dir, "audit-ed25519.pub.pem");
    writeFileSync(priv, privateKey.export({ type: "pkcs8", format: "pem" }));
    writeFileSync(pub, publicKey.export({ type: "spki", format: "pem" }));
    const file = path.join(dir, "ed25519.jsonl");
    const w = await pulse({}, "audit", "checkpoint", "--out", file, "--key-file", priv, "--json");
    expect(w.code, w.stderr).toBe(0);
    expect(JSON.parse(w.stdout)).toMatchObject({ alg: "ed25519", seq: 10 });
    expect((await pulse({}, "audit", "verify", "--checkpoint", file, "--key-file", pub)).code).toBe(0);
    // A public key cannot sign.
    const cannot = await pulse({}, "audit", "checkpoint", "--out", file, "--key-file", pub);
    expect(cannot.code).toBe(3);
    expect(cannot.stderr).toContain("cannot sign");

    // Someone lowers the checkpoint's seq to hide the removal of the newest entries: the signature no longer verifies.
    const edited = path.join(dir, "edited.jsonl");
    writeFileSync(edited, readFileSync(file, "utf8").replace('"seq":10', '"seq":7'));
    const r = await pulse({}, "audit", "verify", "--checkpoint", edited, "--key-file", pub);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("bad_signature: line 1: the signature does not verify");
    // HMAC with the secret verifies nothing signed by the Ed25519 key.
    expect((await pulse({ PULSE_AUDIT_KEY: KEY }, "audit", "verify", "--checkpoint", file)).code).toBe(1);
  });

  it("without a key, checkpoint stops with exit 4 naming the variable", async () => {
    const r = await pulse(
      { PULSE_AUDIT_KEY: undefined, PULSE_AUDIT_KEY_FILE: undefined },
      "audit",
      "checkpoint",
      "--out",
      path.join(dir, "x.jsonl"),
    );
    expect(r.code).toBe(4);
    expect(r.stderr).toContain("PULSE_AUDIT_KEY");
  });
});
