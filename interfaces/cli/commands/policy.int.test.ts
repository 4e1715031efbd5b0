import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../core/config.js";
import { verifyAuditLog } from "../../../guardrails/audit-verify.js";
import { PolicyLoosenedError } from "../../../guardrails/policy-errors.js";
import { listCycles } from "../../../store/cycles-repo.js";
import { createTestDb, type TestDb } from "../../../store/test-db.js";
import { RecordingRunner, testConfig } from "../../../workflows/cycle/testing/cycle-test-kit.js";
import { loadSimulatedWorld, type SimulatedWorld } from "../../../workflows/cycle/testing/simulated-world.js";
import { createCycleRuntime } from "../../../workflows/runtime.js";

/**
 * The guardrail policy and identity through the real CLI (child processes on a PostgreSQL schema)
 * and through CycleService.start, which the chat, Slack and HTTP interfaces call: an admin sets the
 * policy; no brief loosens any field of it; a brief that tightens runs; approvers are who runs the
 * command, with a role that allows it, never the requester.
 */

const main = fileURLToPath(new URL("../main.ts", import.meta.url));
const root = fileURLToPath(new URL("../../../", import.meta.url));
const run = promisify(execFile);
const ROLES = "admin1:admin,ann:marketer,bob:approver,carl:marketer";

let t: TestDb;
let sim: SimulatedWorld;
let dir: string;

async function pulse(actor: string, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, ["--import", "tsx", main, ...args], {
      cwd: root,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: loadConfig().PULSE_TEST_DATABASE_URL,
        PULSE_DB_SCHEMA: t.db.schema,
        PULSE_DATA_DIR: dir,
        PULSE_ACTOR: actor,
        PULSE_CLI_ROLES: ROLES,
      },
      timeout: 120_000,
    });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === "number" ? e.code : -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

function file(name: string, value: unknown): string {
  const p = path.join(dir, name);
  writeFileSync(p, JSON.stringify(value));
  return p;
}

/** The policy the admin sets: the defaults with a tighter discount cap, so the test sees the stored version at work. */
const POLICY = { maxDiscount: 0.15, approvalPolicy: { maxAutoDiscount: 0.1 } };

/** Each bounded field, loosened past POLICY on its own. */
const LOOSEN: Record<string, object> = {
  "approvalPolicy.maxAutoDiscount": { approvalPolicy: { maxAutoDiscount: 0.9 } },
  "approvalPolicy.maxAutoAudience": { approvalPolicy: { maxAutoAudience: 1_000_000 } },
  "approvalPolicy.newContentNeedsHuman": { approvalPolicy: { newContentNeedsHuman: false } },
  "approvalPolicy.flaggedCheckNeedsHuman": { approvalPolicy: { flaggedCheckNeedsHuman: false } },
  "approvalPolicy.ttlHours": { approvalPolicy: { ttlHours: 240 } },
  maxDiscount: { maxDiscount: 0.5 },
  holdoutShare: { holdoutShare: 0.01 },
  globalControlShare: { globalControlShare: 0 },
  globalControlSalt: { globalControlSalt: "everyone-out-of-control" },
  "eligibility.quietHours": { eligibility: { quietHours: null } },
  "eligibility.channelDailyCap.email": { eligibility: { channelDailyCap: { email: 10 } } },
  "eligibility.channelDailyCap.sms": { eligibility: { channelDailyCap: { sms: null } } },
  "eligibility.channelRollingCap.push": { eligibility: { channelRollingCap: { push: 50 } } },
  "eligibility.channelRollingCap.in_app": { eligibility: { channelRollingCap: { in_app: null } } },
  "eligibility.totalDailyCap": { eligibility: { totalDailyCap: 20 } },
  "eligibility.totalRollingCap": { eligibility: { totalRollingCap: null } },
  "eligibility.rollingWindowDays": { eligibility: { rollingWindowDays: 1 } },
  "eligibility.recentConverterDays": { eligibility: { recentConverterDays: 0 } },
  "eligibility.reserveWithinBatch": { eligibility: { reserveWithinBatch: false } },
  "fairness.threshold": { fairness: { threshold: 0.1 } },
  "fairness.minGroupSize": { fairness: { minGroupSize: 10_000 } },
  fairnessAttributes: { fairnessAttributes: [] },
};

/** Every loosening at once, merged. */
function everything(): Record<string, unknown> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const brief of Object.values(LOOSEN)) {
    for (const [k, v] of Object.entries(brief)) {
      if (typeof v === "object" && v !== null && !Array.isArray(v)) {
        out[k] ??= {};
        for (const [k2, v2] of Object.entries(v)) {
          const prev = out[k][k2];
          out[k][k2] =
            typeof v2 === "object" && v2 !== null && typeof prev === "object" && prev !== null ? { ...prev, ...(v2 as object) } : v2;
        }
      } else (out as Record<string, unknown>)[k] = v;
    }
  }
  return out;
}

beforeAll(async () => {
  t = await createTestDb("postgres");
  dir = mkdtempSync(path.join(tmpdir(), "pulse-policy-cli-"));
  sim = await loadSimulatedWorld(t.db, { customers: 300, seed: 13, months: 6 });
}, 180_000);
afterAll(async () => {
  await sim?.cleanup();
  await t?.drop();
  rmSync(dir, { recursive: true, force: true });
});

async function auditRows(kind: string) {
  const { rows } = await t.db.pool.query<{ actor: string; cycle_id: string | null; entry: Record<string, unknown> }>(
    "SELECT actor, cycle_id, entry FROM audit_log WHERE kind = $1 ORDER BY seq",
    [kind],
  );
  return rows;
}

describe("guardrail policy: set by an admin, only tightened by a brief (CLI and CycleService, PostgreSQL)", () => {
  it("only an admin sets the policy; each version is kept with who and why, and audited", async () => {
    const policyFile = file("policy.json", POLICY);
    const refused = await pulse("ann", "policy", "set", "--file", policyFile, "--reason", "wants deeper discounts");
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("cli:ann (role marketer) may not admin");

    const set = await pulse("admin1", "policy", "set", "--file", policyFile, "--reason", "legal caps offers at 15%", "--json");
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ version: 1, by: "cli:admin1" });

    const bad = await pulse("admin1", "policy", "set", "--file", file("typo.json", { maxDiscont: 0.1 }), "--reason", "typo");
    expect(bad.code).toBe(3);
    expect(bad.stderr).toContain("maxDiscont");

    const shown = JSON.parse((await pulse("carl", "policy", "show", "--json")).stdout) as { maxDiscount: number };
    expect(shown.maxDiscount).toBe(0.15);
    const history = JSON.parse((await pulse("carl", "policy", "history", "--json")).stdout) as { version: number; changedBy: string }[];
    expect(history.map((h) => [h.version, h.changedBy])).toEqual([[1, "cli:admin1"]]);
    const changes = await auditRows("policy");
    expect(changes).toHaveLength(1);
    expect(changes[0]).toMatchObject({ actor: "cli:admin1", entry: { event: "changed", version: 1, reason: "legal caps offers at 15%" } });
  }, 120_000);

  it("pulse cycle run --settings that loosens every field is refused, naming each field; no cycle starts; the refusal is audited", async () => {
    const r = await pulse("ann", "cycle", "run", "--settings", file("loose.json", everything()));
    expect(r.code).toBe(3);
    for (const field of Object.keys(LOOSEN)) expect(r.stderr, field).toContain(`${field} `);
    expect(await listCycles(t.db, 10)).toEqual([]);
    const refusals = (await auditRows("policy")).filter((x) => x.entry.event === "brief_refused");
    expect(refusals).toHaveLength(1);
    expect(refusals[0]!.actor).toBe("cli:ann");
    expect((refusals[0]!.entry.fields as { field: string }[]).map((f) => f.field).sort()).toEqual(Object.keys(LOOSEN).sort());
  }, 120_000);

  it("CycleService.start (the chat, Slack and API path) refuses each field loosened on its own", async () => {
    const { service } = await createCycleRuntime(testConfig(), { db: t.db, runner: new RecordingRunner() });
    for (const [field, settings] of Object.entries(LOOSEN)) {
      const err = await service.start({ requestedBy: "slack:U123", asOf: sim.asOf, settings }).catch((e: unknown) => e);
      expect(err, field).toBeInstanceOf(PolicyLoosenedError);
      expect((err as PolicyLoosenedError).fields.map((f) => f.field)).toEqual([field]);
    }
    expect(await listCycles(t.db, 10)).toEqual([]);
  }, 120_000);

  it("a brief that tightens runs under it; the approver is who runs pulse approve, with a role that allows it, never the requester", async () => {
    const tight = { maxDiscount: 0.1, holdoutShare: 0.3, eligibility: { quietHours: { start: "20:00", end: "09:00" }, totalDailyCap: 1 } };
    // Started by an admin, who may decide in general, to show the requester rule holds whatever the role.
    const started = await pulse("admin1", "cycle", "run", "--settings", file("tight.json", tight), "--json");
    expect(started.code, started.stderr).toBe(0);
    const { state } = JSON.parse(started.stdout) as {
      state: { cycleId: string; requestedBy: string; status: string; settings: Record<string, unknown> };
    };
    expect(state.requestedBy).toBe("cli:admin1");
    expect(state.status).toBe("awaiting_approval");
    expect(state.settings).toMatchObject({
      ...tight,
      approvalPolicy: { version: "guardrail-policy/v1", maxAutoDiscount: 0.1 },
      eligibility: { quietHours: tight.eligibility.quietHours, totalDailyCap: 1, channelDailyCap: { email: 1 } },
    });

    // A typed name is not identity: --by is gone.
    expect((await pulse("bob", "approve", state.cycleId, "--by", "someone")).code).toBe(2);
    const self = await pulse("admin1", "approve", state.cycleId);
    expect(self.code).toBe(1);
    expect(self.stderr).toContain("cli:admin1 requested this plan and cannot approve or reject it");
    const marketer = await pulse("carl", "approve", state.cycleId);
    expect(marketer.stderr).toContain("cli:carl (role marketer) may not decide");
    const approved = await pulse("bob", "approve", state.cycleId, "--reason", "checked the copy", "--json");
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ state: { approval: { decision: "approved", by: "cli:bob" } } });

    const approvals = (await auditRows("approval")).filter((a) => a.cycle_id === state.cycleId);
    expect(approvals.map((a) => [a.entry.event, a.actor])).toEqual([
      ["requested", "cli:admin1"],
      ["approved", "cli:bob"],
    ]);
    const startedEntry = (await auditRows("cycle")).find((c) => c.cycle_id === state.cycleId && c.entry.event === "started");
    expect(startedEntry?.entry.summary).toMatchObject({ policyVersion: 1 });
    expect(await verifyAuditLog(t.db)).toMatchObject({ ok: true });
  }, 240_000);
});
