import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ManualClock } from "../core/clock.js";
import { readCustomerEntries, readCycleLog } from "../store/audit-repo.js";
import { BACKENDS, createTestDb, type TestDb } from "../store/test-db.js";
import type { NewAuditEntry } from "./audit-entries.js";
import { AuditCustomerNotFoundError } from "./audit-errors.js";
import { exportAuditLog } from "./audit-export.js";
import { GENESIS_HASH } from "./audit-hash.js";
import { verifyAuditLog } from "./audit-verify.js";
import { renderWhy, whyCustomer } from "./audit-why.js";
import { createAuditLog, type AuditLog } from "./audit.js";

const consent = {
  channel: "email",
  purpose: "marketing",
  status: "granted",
  source: "web-signup",
  recordedAt: "2024-01-01T00:00:00.000Z",
} as const;

function cycleStory(cycleId: string): NewAuditEntry[] {
  const cy = { actor: "pulse:worker", cycleId };
  return [
    { ...cy, kind: "cycle", entry: { event: "started" } },
    {
      ...cy,
      kind: "segment_assignment",
      customerId: "alice",
      entry: {
        runId: "seg-1",
        segmentId: "s2",
        segmentName: "Lapsing regulars",
        scores: { clv: 412.5, churn: 0.61, uplift: 0.042, fatigue: 0.1 },
      },
    },
    {
      ...cy,
      kind: "segment_assignment",
      customerId: "bob",
      entry: {
        runId: "seg-1",
        segmentId: "s2",
        segmentName: "Lapsing regulars",
        scores: { clv: 90, churn: 0.7, uplift: 0.01, fatigue: 0.2 },
      },
    },
    {
      ...cy,
      kind: "segment_assignment",
      customerId: "carol",
      entry: { runId: "seg-1", segmentId: "s1", segmentName: "Loyal", scores: { clv: 900, churn: 0.05 } },
    },
    {
      ...cy,
      kind: "plan",
      actor: "pulse:strategist",
      entry: {
        planId: `${cycleId}-plan`,
        segments: [
          {
            segmentId: "s2",
            segmentName: "Lapsing regulars",
            strategy: "winback",
            channel: "email",
            offer: { type: "percent_off", depth: 0.15 },
            timing: "Thu 09:00 local",
            budget: 1200,
            reasons: ["churn risk high", "uplift positive"],
          },
          {
            segmentId: "s1",
            segmentName: "Loyal",
            strategy: "no_contact",
            channel: null,
            offer: null,
            timing: "-",
            budget: 0,
            reasons: ["would buy anyway"],
          },
        ],
      },
    },
    { ...cy, kind: "holdout", customerId: "alice", entry: { experimentId: "exp-1", arm: "treatment", bucket: 0.734 } },
    { ...cy, kind: "holdout", customerId: "bob", entry: { experimentId: "exp-1", arm: "treatment", bucket: 0.5 } },
    { ...cy, kind: "holdout", customerId: "dave", entry: { experimentId: "exp-1", arm: "holdout", bucket: 0.03 } },
    { ...cy, kind: "eligibility", customerId: "alice", entry: { channel: "email", eligible: true } },
    {
      ...cy,
      kind: "eligibility",
      customerId: "bob",
      entry: { channel: "email", eligible: false, reasons: [{ code: "no_consent", message: "no marketing consent for email" }] },
    },
    {
      ...cy,
      kind: "approval",
      actor: "pulse:strategist",
      entry: {
        approvalId: "apr-1",
        event: "requested",
        by: "pulse:strategist",
        riskTier: "human",
        triggers: [{ code: "new_content_version", message: "never approved before: prompt:copywriter@v2" }],
        policyVersion: "approval-policy/1",
      },
    },
    {
      ...cy,
      kind: "approval",
      actor: "maria",
      entry: {
        approvalId: "apr-1",
        event: "approved",
        by: "maria",
        reason: "looks right",
        riskTier: "human",
        policyVersion: "approval-policy/1",
      },
    },
    {
      ...cy,
      kind: "send",
      actor: "pulse:activation",
      customerId: "alice",
      entry: {
        channel: "email",
        messageId: "msg-1",
        dedupeKey: `${cycleId}:c1:alice:email`,
        templateId: "winback-email",
        variantId: "B",
        prompt: { id: "copywriter", version: 2, hash: "9f8e7d6c5b4a" },
        offer: { type: "percent_off", depth: 0.15 },
        consentBasis: consent,
      },
    },
    {
      ...cy,
      kind: "suppression",
      customerId: "erin",
      entry: { channel: "all", reasonCode: "complaint", reason: "on the suppression list since 2024-02-01" },
    },
    { ...cy, kind: "cycle", entry: { event: "finished", status: "done" } },
  ];
}

describe.each(BACKENDS)("audit log on %s", (backend) => {
  let t: TestDb;
  let audit: AuditLog;
  const clock = new ManualClock("2024-05-01T09:00:00.000Z");

  beforeAll(async () => {
    t = await createTestDb(backend);
    audit = createAuditLog(t.db, clock);
  });
  afterAll(async () => {
    await t?.drop();
  });

  it("chains single and batched appends from genesis and verifies an empty and a full log", async () => {
    expect(await verifyAuditLog(t.db)).toEqual({ ok: true, entries: 0, rows: 0, head: undefined });
    const first = await audit.append({ kind: "cycle", actor: "pulse:worker", cycleId: "cy-0", entry: { event: "started" } });
    expect(first).toMatchObject({ seq: 1, prevHash: GENESIS_HASH });
    const r = await audit.appendMany(cycleStory("cy-1"));
    expect(r).toMatchObject({ count: 15, firstSeq: 2, lastSeq: 16 });
    const v = await verifyAuditLog(t.db, { pageSize: 4 });
    expect(v).toEqual({ ok: true, entries: 16, rows: 16, head: { seq: 16, hash: r.headHash } });
  });

  it("never forks the chain under concurrent writers on separate connections", async () => {
    // Separate AuditLog instances share nothing in-process (as separate workers would): only the database lock orders them.
    const writers = [audit, createAuditLog(t.db, clock), createAuditLog(t.db, clock)];
    const writes = Array.from({ length: 24 }, (_, i) =>
      i % 4 === 0
        ? writers[i % 3]!.appendMany(
            Array.from({ length: 50 }, (_, j) => ({
              kind: "tool_call" as const,
              actor: `w${i}`,
              entry: { tool: "eligibility", inputDigest: "a".repeat(64), outputDigest: null, summary: `batch ${i} item ${j}` },
            })),
          )
        : writers[i % 3]!.append({
            kind: "tool_call",
            actor: `w${i}`,
            entry: { tool: "segment", inputDigest: "b".repeat(64), outputDigest: "c".repeat(64), summary: `single ${i}` },
          }),
    );
    await Promise.all(writes);
    const v = await verifyAuditLog(t.db, { pageSize: 100 });
    expect(v.ok).toBe(true);
    expect(v.entries).toBe(16 + 6 * 50 + 18);
    expect(v.head!.seq).toBe(v.entries);
  });

  it("groups concurrent single appends, keeping call order; an invalid one fails alone", async () => {
    const calls = Array.from({ length: 12 }, (_, i) =>
      audit.append({ kind: "measurement", actor: "pulse:measurement", entry: { readoutDigest: "d".repeat(64), summary: `readout ${i}` } }),
    );
    const bad = audit.append({ kind: "measurement", actor: "pulse:measurement", entry: { readoutDigest: "not-a-digest", summary: "x" } });
    await expect(bad).rejects.toThrow(/readoutDigest/);
    const rows = await Promise.all(calls);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => rows[0]!.seq + i));
    expect((await verifyAuditLog(t.db)).ok).toBe(true);
  });

  it("appends 10,000 entries in one batch quickly", async () => {
    const entries: NewAuditEntry[] = Array.from({ length: 10_000 }, (_, i) => ({
      kind: "send",
      actor: "pulse:activation",
      cycleId: "cy-big",
      customerId: `cust-${i}`,
      entry: {
        channel: "email",
        messageId: `m-${i}`,
        dedupeKey: `cy-big:camp:cust-${i}:email`,
        templateId: "t",
        variantId: "A",
        prompt: { id: "copywriter", version: 2, hash: "9f8e" },
        offer: null,
        consentBasis: consent,
      },
    }));
    const started = performance.now();
    const r = await audit.appendMany(entries);
    const seconds = (performance.now() - started) / 1000;
    console.info(`[${backend}] appendMany 10,000 entries: ${seconds.toFixed(2)} s (${Math.round(10_000 / seconds)} entries/s)`);
    expect(r.count).toBe(10_000);
    if (backend === "postgres") expect(seconds).toBeLessThan(10);
    const vStart = performance.now();
    const v = await verifyAuditLog(t.db);
    console.info(`[${backend}] verify ${v.entries} entries: ${((performance.now() - vStart) / 1000).toFixed(2)} s`);
    expect(v.ok).toBe(true);
  }, 120_000);

  it("exports a time range as JSONL and CSV, in seq order, hashes included", async () => {
    clock.set("2024-06-01T00:00:00.000Z");
    await audit.appendMany(cycleStory("cy-june"));
    const collect = async (format: "jsonl" | "csv", pageSize: number) => {
      let text = "";
      for await (const chunk of exportAuditLog(t.db, {
        from: new Date("2024-06-01T00:00:00Z"),
        to: new Date("2024-06-02T00:00:00Z"),
        format,
        pageSize,
      }))
        text += chunk;
      return text;
    };
    const jsonl = (await collect("jsonl", 4))
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { seq: number; cycle_id: string; hash: string; prev_hash: string; at: string });
    expect(jsonl).toHaveLength(15);
    expect(jsonl.every((e) => e.cycle_id === "cy-june" && e.at === "2024-06-01T00:00:00.000Z")).toBe(true);
    expect(jsonl.slice(1).every((e, i) => e.prev_hash === jsonl[i]!.hash && e.seq === jsonl[i]!.seq + 1)).toBe(true);
    const csv = (await collect("csv", 1000)).trim().split("\n");
    expect(csv[0]).toBe("seq,at,kind,actor,cycle_id,customer_id,entry,prev_hash,hash");
    expect(csv).toHaveLength(16);
    expect(csv[2]).toMatch(/^\d+,2024-06-01T00:00:00.000Z,segment_assignment,pulse:worker,cy-june,alice,"\{""runId"":""seg-1""/);
  });

  it("explains why a customer did or did not get a message, from the log alone", async () => {
    const alice = await whyCustomer(t.db, "alice");
    expect(alice).toMatchObject({
      cycleId: "cy-june",
      otherCycles: ["cy-1"],
      outcome: "sent",
      segment: { segmentId: "s2", segmentName: "Lapsing regulars", scores: { clv: 412.5, churn: 0.61 } },
      plan: { strategy: "winback", channel: "email", offer: { depth: 0.15 }, reasons: ["churn risk high", "uplift positive"] },
      holdout: { arm: "treatment", experimentId: "exp-1" },
      eligibility: [{ channel: "email", eligible: true }],
      approval: { status: "approved", by: "maria", requestedBy: "pulse:strategist", riskTier: "human" },
      sends: [
        {
          messageId: "msg-1",
          templateId: "winback-email",
          variantId: "B",
          prompt: { id: "copywriter", version: 2 },
          consentBasis: consent,
        },
      ],
    });
    const text = renderWhy(alice);
    expect(text).toMatch(
      /Customer alice \(segment "Lapsing regulars"\) was sent email message msg-1 in cycle cy-june with a 15% percent_off offer, approved by maria/,
    );
    expect(text).toMatch(/prompt copywriter v2/);
    expect(text).toMatch(/consent email\/marketing granted, recorded 2024-01-01T00:00:00.000Z, source web-signup/);

    expect(await whyCustomer(t.db, "bob", { cycleId: "cy-1" })).toMatchObject({
      cycleId: "cy-1",
      outcome: "not_eligible",
      eligibility: [{ reasons: [{ code: "no_consent" }] }],
    });
    expect((await whyCustomer(t.db, "dave")).outcome).toBe("held_out");
    expect(renderWhy(await whyCustomer(t.db, "dave"))).toMatch(
      /got no message in cycle cy-june: assigned to the holdout arm of experiment exp-1/,
    );
    expect(await whyCustomer(t.db, "erin")).toMatchObject({ outcome: "suppressed", suppressions: [{ reasonCode: "complaint" }] });
    await expect(whyCustomer(t.db, "nobody")).rejects.toThrow(AuditCustomerNotFoundError);
    await expect(whyCustomer(t.db, "alice", { cycleId: "cy-none" })).rejects.toThrow(
      /audit entries for customer "alice" in cycle "cy-none" not found/,
    );
  });

  it("names the first broken entry after a row is edited directly, or removed", async () => {
    const { rows } = await t.db.pool.query<{ seq: number; entry: unknown }>(
      "SELECT seq, entry FROM audit_log WHERE kind = 'send' AND customer_id = 'alice' ORDER BY seq LIMIT 1",
    );
    const seq = Number(rows[0]!.seq);
    // Tamper as the table owner, bypassing the append-only trigger.
    const tamper = async (sql: string, params: unknown[]) => {
      await t.db.transaction(async (c) => {
        await c.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update");
        await c.query(sql, params);
        await c.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update");
      });
    };
    await expect(t.db.pool.query("UPDATE audit_log SET actor = 'x' WHERE seq = $1", [seq])).rejects.toThrow(/append-only/);
    await expect(t.db.pool.query("DELETE FROM audit_log WHERE seq = $1", [seq])).rejects.toThrow(/append-only/);

    await tamper('UPDATE audit_log SET entry = jsonb_set(entry, \'{offer}\', \'{"type":"percent_off","depth":0.5}\') WHERE seq = $1', [
      seq,
    ]);
    const edited = await verifyAuditLog(t.db, { pageSize: 7 });
    expect(edited).toMatchObject({ ok: false, entries: seq - 1, break: { seq, problem: "hash_mismatch" } });
    expect(edited.break!.message).toMatch(/hash mismatch.*send entry was changed/);

    await tamper("UPDATE audit_log SET entry = $2::jsonb WHERE seq = $1", [seq, JSON.stringify(rows[0]!.entry)]);
    expect((await verifyAuditLog(t.db)).ok).toBe(true);

    await tamper("DELETE FROM audit_log WHERE seq = $1", [seq]);
    expect(await verifyAuditLog(t.db)).toMatchObject({
      ok: false,
      break: { seq: seq + 1, problem: "seq_gap", expected: String(seq), found: String(seq + 1) },
    });
  });
});

describe.each(BACKENDS)("customer sets in the audit log on %s", (backend) => {
  let t: TestDb;
  const clock = new ManualClock("2024-06-01T00:00:00Z");
  const customers = Array.from({ length: 3_000 }, (_, i) => `cust-${String(i).padStart(4, "0")}`);
  const cy = { actor: "pulse:worker", cycleId: "cy-sets" };
  const entries: NewAuditEntry[] = [
    ...customers.map((customerId, i): NewAuditEntry => ({
      ...cy,
      kind: "eligibility",
      customerId,
      entry:
        i % 7 === 0
          ? { channel: "email", eligible: false, reasons: [{ code: "cooldown", message: "cooling down" }] }
          : { channel: "email", eligible: true },
    })),
    { ...cy, kind: "tool_call", entry: { tool: "holdout", inputDigest: "a".repeat(64), outputDigest: null, summary: "3,000 assigned" } },
    ...customers.map((customerId, i): NewAuditEntry => ({
      ...cy,
      kind: "holdout",
      customerId,
      entry: { experimentId: "cy-sets.exp", arm: i % 10 === 0 ? "holdout" : "treatment", bucket: (i % 100) / 100 },
    })),
  ];

  beforeAll(async () => {
    t = await createTestDb(backend);
  }, 60_000);
  afterAll(async () => t?.drop());

  it("stores runs of per-customer entries as a few rows, and readers see every entry as it was given", async () => {
    const audit = createAuditLog(t.db, clock);
    const result = await audit.appendMany(entries, { asSets: true });
    expect(result.count).toBe(entries.length);
    // Runs are cut at the append's pipeline chunk (2,500 entries): eligibility 2, the tool call, holdout 2 or 3.
    expect(result.rows).toBeLessThanOrEqual(7);
    expect(result.lastSeq! - result.firstSeq! + 1).toBe(result.rows);
    const { rows } = await t.db.pool.query<{ kind: string; n: number }>(
      "SELECT kind, count(*)::int AS n FROM audit_log GROUP BY kind ORDER BY kind",
    );
    expect(rows.map((r) => r.kind)).toEqual(["customer_entries", "tool_call"]);

    const one = await readCustomerEntries(t.db, "cust-0007");
    expect(one.map((r) => [r.kind, r.customerId, r.entry])).toEqual([
      ["eligibility", "cust-0007", { channel: "email", eligible: false, reasons: [{ code: "cooldown", message: "cooling down" }] }],
      ["holdout", "cust-0007", { experimentId: "cy-sets.exp", arm: "treatment", bucket: 0.07 }],
    ]);
    // Defaults are applied as for a row of its own (eligibility's reasons).
    const cycle = await readCycleLog(t.db, "cy-sets", ["eligibility"]);
    expect(cycle).toHaveLength(customers.length);
    expect(cycle.find((r) => r.customerId === "cust-0001")!.entry).toEqual({ channel: "email", eligible: true, reasons: [] });
    expect(await readCycleLog(t.db, "cy-sets")).toHaveLength(entries.length);

    const why = await whyCustomer(t.db, "cust-0010");
    expect(why).toMatchObject({
      outcome: "held_out",
      holdout: { arm: "holdout", experimentId: "cy-sets.exp" },
      eligibility: [{ eligible: true }],
    });
    expect((await verifyAuditLog(t.db)).ok).toBe(true);
  });

  it("refuses a run with one invalid entry as it would the entry alone, and appends nothing", async () => {
    const audit = createAuditLog(t.db, clock);
    const before = (await verifyAuditLog(t.db)).entries;
    const bad = entries
      .slice(0, 50)
      .map((e, i) => (i === 31 ? ({ ...e, entry: { channel: "fax", eligible: true } } as unknown as NewAuditEntry) : e));
    await expect(audit.appendMany(bad, { asSets: true })).rejects.toThrow(/eligibility entry invalid at channel/);
    expect((await verifyAuditLog(t.db)).entries).toBe(before);
  });

  it("names the set as the broken entry when one member is edited", async () => {
    const { rows } = await t.db.pool.query<{ seq: number }>(
      "SELECT seq FROM audit_log WHERE kind = 'customer_entries' AND entry -> 'customers' @> '[\"cust-0042\"]' AND entry ->> 'of' = 'holdout'",
    );
    const seq = Number(rows[0]!.seq);
    await t.db.transaction(async (c) => {
      await c.query("ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update");
      await c.query(`UPDATE audit_log SET entry = jsonb_set(entry, '{members,42,arm}', '"holdout"') WHERE seq = $1`, [seq]);
      await c.query("ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update");
    });
    expect((await readCustomerEntries(t.db, "cust-0042")).find((r) => r.kind === "holdout")!.entry).toMatchObject({ arm: "holdout" });
    expect(await verifyAuditLog(t.db)).toMatchObject({ ok: false, break: { seq, problem: "hash_mismatch" } });
  });
});
