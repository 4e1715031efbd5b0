import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../core/config.js";
import { can, type Action } from "../../core/roles.js";
import { countAuditRows } from "../../store/audit-repo.js";
import { createHttpServer } from "./server.js";
import { NEEDS_APPROVAL, nextCycleAsOf, startHttpWorld, TOKEN_ROLES, type HttpWorld } from "./testing/http-world.js";

let w: HttpWorld;
/** The cycle started through the API by ann (admin), waiting for a person's approval. */
let pendingCycle: string;

interface Call {
  status: number;
  body: any;
  text: string;
  headers: Headers;
}

async function call(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<Call> {
  const res = await fetch(`${w.url}${path}`, {
    method,
    headers: {
      ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      ...options.headers,
    },
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
  });
  const text = await res.text();
  let body: any = null;
  try {
    body = JSON.parse(text);
  } catch {
    body = null;
  }
  return { status: res.status, body, text, headers: res.headers };
}

const countCycles = async () => (await w.testDb.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM cycles")).rows[0]!.n;
const approvalOf = async (cycleId: string) =>
  (
    await w.testDb.db.pool.query<{ decision: string | null; decided_by: string | null }>(
      "SELECT decision, decided_by FROM approvals WHERE cycle_id = $1",
      [cycleId],
    )
  ).rows[0]!;

beforeAll(async () => {
  w = await startHttpWorld({ customers: 1_500, seed: 5 });
}, 300_000);
afterAll(async () => {
  await w?.close();
}, 60_000);

describe("pulse serve: health, readiness, OpenAPI and raw mounts", () => {
  it("answers /health and /ready without a token, and /ready checks the database and Redis when one is configured", async () => {
    expect(await call("GET", "/health")).toMatchObject({ status: 200, body: { ok: true } });
    expect(await call("GET", "/ready")).toMatchObject({ status: 200, body: { ready: true, checks: { database: "ok" } } });

    const cycles = w.cycles;
    for (const [redis, status] of [
      [loadConfig().PULSE_TEST_REDIS_URL, 200],
      ["redis://127.0.0.1:1", 503],
    ] as const) {
      const other = await createHttpServer({ db: w.testDb.db, config: { REDIS_URL: redis, PULSE_HTTP_SECURE_COOKIES: false }, cycles });
      const base = await other.listen(0);
      try {
        const res = await fetch(`${base}/ready`);
        const body = (await res.json()) as { ready: boolean; checks: { redis: string } };
        expect(res.status).toBe(status);
        expect(body.ready).toBe(status === 200);
        if (status === 200) expect(body.checks.redis).toBe("ok");
        else expect(body.checks.redis).not.toBe("ok");
      } finally {
        await other.close();
      }
    }
  });

  it("serves the OpenAPI document generated from the zod schemas, to token holders only", async () => {
    expect((await call("GET", "/api/openapi.json")).status).toBe(401);
    const doc = await call("GET", "/api/openapi.json", { token: w.tokens.mia });
    expect(doc.status).toBe(200);
    expect(doc.body.openapi).toMatch(/^3\./);
    for (const p of [
      "/api/cycles",
      "/api/cycles/{cycleId}/approve",
      "/api/segments",
      "/api/audit/export",
      "/api/metrics",
      "/api/models",
      "/api/tokens",
    ])
      expect(Object.keys(doc.body.paths)).toContain(p);
    const reject = doc.body.paths["/api/cycles/{cycleId}/reject"].post;
    expect(reject.requestBody.content["application/json"].schema.required).toEqual(["reason"]);
  });

  it("hands raw requests under a mount's prefix to its own listener, body untouched, and the rest to the API", async () => {
    const seen: { url: string; body: string; signature: string | undefined }[] = [];
    const other = await createHttpServer({
      db: w.testDb.db,
      config: { REDIS_URL: undefined, PULSE_HTTP_SECURE_COOKIES: false },
      cycles: w.cycles,
      mounts: [
        {
          prefix: "/slack/",
          listener: (req, res) => {
            let body = "";
            req.on("data", (c: Buffer) => (body += c.toString("utf8")));
            req.on("end", () => {
              seen.push({ url: req.url!, body, signature: req.headers["x-slack-signature"] as string | undefined });
              res.writeHead(200, { "content-type": "text/plain" }).end(`raw ${req.method} ${req.url}`);
            });
          },
        },
      ],
    });
    const base = await other.listen(0);
    try {
      const raw = "payload=%7B%22type%22%3A%22block_actions%22%7D";
      const res = await fetch(`${base}/slack/events`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded", "x-slack-signature": "v0=abc" },
        body: raw,
      });
      expect(await res.text()).toBe("raw POST /slack/events");
      expect(seen).toEqual([{ url: "/slack/events", body: raw, signature: "v0=abc" }]);
      expect((await fetch(`${base}/health`)).status).toBe(200);
      expect((await fetch(`${base}/api/cycles`)).status).toBe(401);
    } finally {
      await other.close();
    }
  });
});

describe("the API's authentication and roles", () => {
  /** Every route, with a request that passes validation and the action it needs. */
  const routes = (): { method: string; path: string; action: Action; body?: unknown }[] => [
    { method: "GET", path: "/api/cycles", action: "read" },
    { method: "GET", path: `/api/cycles/${w.demo.cycleId}`, action: "read" },
    { method: "POST", path: "/api/cycles", action: "start_cycle", body: { settings: { holdoutShare: 7 } } },
    { method: "POST", path: `/api/cycles/${w.demo.cycleId}/approve`, action: "decide", body: {} },
    { method: "POST", path: `/api/cycles/${w.demo.cycleId}/reject`, action: "decide", body: { reason: "no" } },
    { method: "GET", path: "/api/segments", action: "read" },
    { method: "GET", path: `/api/customers/${w.demo.examples.sent}/why`, action: "audit" },
    { method: "GET", path: "/api/audit/verify", action: "audit" },
    { method: "GET", path: "/api/audit/export?from=2000-01-01&to=2100-01-01", action: "audit" },
    { method: "GET", path: "/api/metrics", action: "read" },
    { method: "GET", path: "/api/results", action: "read" },
    { method: "GET", path: "/api/models", action: "read" },
    { method: "GET", path: "/api/tokens", action: "admin" },
    { method: "POST", path: "/api/tokens", action: "admin", body: { name: "x", role: "root" } },
    { method: "DELETE", path: "/api/tokens/tok_nonexistent", action: "admin" },
    { method: "GET", path: "/api/openapi.json", action: "read" },
  ];

  it("refuses every route without a token, with a forged one and with a revoked one (401)", async () => {
    const forged = `pulse_${randomBytes(32).toString("base64url")}`;
    for (const r of routes()) {
      for (const [what, headers] of [
        ["no token", {}],
        ["forged", { authorization: `Bearer ${forged}` }],
        ["revoked", { authorization: `Bearer ${w.revoked}` }],
        ["not a bearer", { authorization: `Basic ${Buffer.from("ann:x").toString("base64")}` }],
      ] as const) {
        const res = await call(r.method, r.path, { headers, ...(r.body !== undefined ? { body: r.body } : {}) });
        expect(res.status, `${r.method} ${r.path} with ${what}`).toBe(401);
      }
    }
  });

  it("refuses roles without the route's action (403) and lets the others through", async () => {
    for (const r of routes()) {
      for (const [name, role] of Object.entries(TOKEN_ROLES) as [
        keyof HttpWorld["tokens"],
        (typeof TOKEN_ROLES)[keyof HttpWorld["tokens"]],
      ][]) {
        const res = await call(r.method, r.path, { token: w.tokens[name], ...(r.body !== undefined ? { body: r.body } : {}) });
        if (can(role, r.action)) expect([401, 403], `${r.method} ${r.path} as ${role}: ${res.text}`).not.toContain(res.status);
        else expect(res.status, `${r.method} ${r.path} as ${role}`).toBe(403);
      }
    }
  });

  it("creates, lists and revokes tokens on an admin's behalf; a revoked token stops working at once", async () => {
    const created = await call("POST", "/api/tokens", { token: w.tokens.ann, body: { name: "dora", role: "compliance" } });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ name: "dora", role: "compliance", token: expect.stringMatching(/^pulse_/) });
    expect((await call("GET", "/api/audit/verify", { token: created.body.token })).status).toBe(200);

    const list = await call("GET", "/api/tokens", { token: w.tokens.ann });
    expect(list.body.tokens.map((t: { name: string }) => t.name)).toEqual(expect.arrayContaining(["ann", "bob", "mia", "cora", "dora"]));
    expect(list.text).not.toContain(created.body.token);
    const { rows } = await w.testDb.db.pool.query<{ token_hash: string }>("SELECT token_hash FROM api_tokens WHERE name = 'dora'");
    expect(rows[0]!.token_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.token_hash).not.toContain(created.body.token);

    expect((await call("POST", "/api/tokens", { token: w.tokens.ann, body: { name: "dora", role: "admin" } })).status).toBe(400);
    expect((await call("DELETE", `/api/tokens/${created.body.tokenId}`, { token: w.tokens.ann })).status).toBe(200);
    expect((await call("GET", "/api/audit/verify", { token: created.body.token })).status).toBe(401);
    expect((await call("DELETE", `/api/tokens/${created.body.tokenId}`, { token: w.tokens.ann })).status).toBe(404);

    const { rows: audited } = await w.testDb.db.pool.query<{ actor: string; entry: { event: string } }>(
      "SELECT actor, entry FROM audit_log WHERE kind = 'access' AND entry->>'name' = 'dora' ORDER BY seq",
    );
    expect(audited.map((a) => [a.actor, a.entry.event])).toEqual([
      ["token:ann", "token_created"],
      ["token:ann", "token_revoked"],
    ]);
  });
});

describe("bad input gets a 400 with the zod issues, and nothing is written", () => {
  it("refuses bad queries, params and bodies", async () => {
    const t = w.tokens.ann;
    const cases: [string, string, unknown, string][] = [
      ["GET", "/api/cycles?limit=abc", undefined, "querystring.limit"],
      ["GET", "/api/cycles?limit=1000", undefined, "querystring.limit"],
      ["GET", "/api/cycles?bogus=1", undefined, "querystring"],
      ["POST", "/api/cycles", { asOf: "yesterday" }, "body.asOf"],
      ["POST", "/api/cycles", { extra: true }, "body"],
      ["POST", `/api/cycles/${w.demo.cycleId}/reject`, {}, "body.reason"],
      ["POST", `/api/cycles/${w.demo.cycleId}/reject`, { reason: "   " }, "body.reason"],
      ["GET", "/api/audit/export?from=2020-01-01&to=2019-01-01", undefined, "querystring.to"],
      ["GET", "/api/audit/export?from=2020-01-01&to=2021-01-01&format=xml", undefined, "querystring.format"],
      ["GET", "/api/metrics?from=soon", undefined, "querystring.from"],
      ["POST", "/api/tokens", { name: "has space", role: "admin" }, "body.name"],
      ["POST", "/api/tokens", { name: "zed", role: "root" }, "body.role"],
    ];
    for (const [method, path, body, issuePath] of cases) {
      const res = await call(method, path, { token: t, ...(body !== undefined ? { body } : {}) });
      expect(res.status, `${method} ${path} ${JSON.stringify(body)}: ${res.text}`).toBe(400);
      expect(res.body.error).toBe("bad_request");
      expect(res.body.issues.length, res.text).toBeGreaterThan(0);
      expect(res.body.issues.map((i: { path: string }) => i.path).join(" "), res.text).toContain(issuePath);
    }
    expect((await call("POST", "/api/tokens", { token: t, body: { name: "zed", role: "root" } })).status).toBe(400);
    const { rows } = await w.testDb.db.pool.query("SELECT 1 FROM api_tokens WHERE name = 'zed'");
    expect(rows).toEqual([]);
  });

  it("checks a cycle's settings whole before starting anything", async () => {
    const before = await countCycles();
    const entries = await countAuditRows(w.testDb.db);
    const res = await call("POST", "/api/cycles", { token: w.tokens.mia, body: { settings: { holdoutShare: 7, channels: ["fax"] } } });
    expect(res.status).toBe(400);
    expect(res.body.issues.map((i: { path: string }) => i.path)).toEqual(
      expect.arrayContaining(["settings.holdoutShare", "settings.channels.0"]),
    );
    expect(await countCycles()).toBe(before);
    expect(await countAuditRows(w.testDb.db)).toBe(entries);
  });

  it("answers 404 for a cycle or customer that does not exist", async () => {
    expect((await call("GET", "/api/cycles/c-nope", { token: w.tokens.mia })).status).toBe(404);
    expect((await call("GET", "/api/customers/nobody-here/why", { token: w.tokens.cora })).status).toBe(404);
    expect((await call("GET", "/api/segments?run=nope", { token: w.tokens.mia })).status).toBe(404);
  });
});

describe("cycles through the API: started by one person, decided by another", () => {
  it("starts a cycle as the token's holder; it waits for a person's approval", async () => {
    const res = await call("POST", "/api/cycles", { token: w.tokens.ann, body: { asOf: nextCycleAsOf(w.demo), settings: NEEDS_APPROVAL } });
    expect(res.status, res.text).toBe(201);
    expect(res.body).toMatchObject({ status: "awaiting_approval", waiting: { kind: "approval" } });
    pendingCycle = res.body.cycleId;
    const one = await call("GET", `/api/cycles/${pendingCycle}`, { token: w.tokens.mia });
    expect(one.body.state).toMatchObject({ cycleId: pendingCycle, requestedBy: "token:ann", status: "awaiting_approval" });
    expect(one.body.state.plan.segments.length).toBeGreaterThan(0);
    expect(one.body.state.review.risk.triggers.map((t: { code: string }) => t.code)).toContain("audience_above_limit");
    const listed = await call("GET", "/api/cycles", { token: w.tokens.mia });
    expect(listed.body.cycles.map((c: { cycleId: string }) => c.cycleId)).toEqual([pendingCycle, w.demo.cycleId]);
  });

  it("refuses the requester (even an admin) and a marketer, records nothing, then lets an approver approve and the cycle go on", async () => {
    const own = await call("POST", `/api/cycles/${pendingCycle}/approve`, { token: w.tokens.ann, body: {} });
    expect(own.status).toBe(403);
    expect(own.body.message).toMatch(/requested this plan/);
    expect((await call("POST", `/api/cycles/${pendingCycle}/approve`, { token: w.tokens.mia, body: {} })).status).toBe(403);
    expect(await approvalOf(pendingCycle)).toEqual({ decision: null, decided_by: null });

    const ok = await call("POST", `/api/cycles/${pendingCycle}/approve`, { token: w.tokens.bob, body: { reason: "looks right" } });
    expect(ok.status, ok.text).toBe(200);
    expect(ok.body.approval).toMatchObject({ decision: "approved", by: "token:bob" });
    expect(["activated", "measured", "done"]).toContain(ok.body.status);
    expect(await approvalOf(pendingCycle)).toEqual({ decision: "approved", decided_by: "token:bob" });
    const { rows } = await w.testDb.db.pool.query<{ entry: { event: string; by: string } }>(
      "SELECT entry FROM audit_log WHERE kind = 'approval' AND cycle_id = $1 ORDER BY seq",
      [pendingCycle],
    );
    expect(rows.map((r) => [r.entry.event, r.entry.by])).toEqual([
      ["requested", "token:ann"],
      ["approved", "token:bob"],
    ]);
    // Decided once: a second decision is a conflict.
    expect(
      (await call("POST", `/api/cycles/${pendingCycle}/reject`, { token: w.tokens.bob, body: { reason: "changed my mind" } })).status,
    ).toBe(409);
  });
});

describe("read routes aggregate what the cycles recorded", () => {
  it("segments of the latest run with profiles, and the migrations from the run before", async () => {
    const res = await call("GET", "/api/segments", { token: w.tokens.mia });
    expect(res.status).toBe(200);
    const { run, segments, migrations } = res.body;
    expect(run.runId).toBe(`${pendingCycle}.segments`);
    expect(run.previousRunId).toBe(`${w.demo.cycleId}.segments`);
    expect(segments.reduce((n: number, s: { size: number }) => n + s.size, 0)).toBe(1_500);
    expect(segments.every((s: { profile: { topFeatures: unknown[] } }) => s.profile.topFeatures.length > 0)).toBe(true);
    expect(migrations.reduce((n: number, m: { customers: number }) => n + m.customers, 0)).toBe(1_500);
    const demoRun = await call("GET", `/api/segments?run=${w.demo.cycleId}.segments`, { token: w.tokens.mia });
    expect(demoRun.body.run.previousRunId).toBeNull();
    expect(demoRun.body.migrations).toEqual([]);
  });

  it("metrics: messages per channel per day add up to the messages sent; fatigue cells add up to the customers", async () => {
    // The demo's sends carry its simulated dates, the API cycle's the wall clock: one window covers both.
    const res = await call("GET", "/api/metrics?from=2000-01-01&to=2100-01-01", { token: w.tokens.mia });
    expect(res.status).toBe(200);
    const { rows } = await w.testDb.db.pool.query<{ n: number }>("SELECT count(*)::int AS n FROM messages WHERE status = 'sent'");
    expect(rows[0]!.n).toBeGreaterThan(0);
    expect(res.body.messages.reduce((n: number, m: { messages: number }) => n + m.messages, 0)).toBe(rows[0]!.n);
    expect(res.body.fatigue.cells.reduce((n: number, c: { customers: number }) => n + c.customers, 0)).toBe(1_500);
    expect(
      res.body.unsubscribes.every((u: { rate: number | null; delivered: number }) => (u.delivered ? u.rate! >= 0 : u.rate === null)),
    ).toBe(true);
    const empty = await call("GET", "/api/metrics?from=2000-01-01&to=2000-02-01", { token: w.tokens.mia });
    expect(empty.body.messages).toEqual([]);
  });

  it("results and models: the demo cycle's lift with intervals, and the Qini curve of the uplift its plan used", async () => {
    // The approved cycle's window closed at once (its simulated dates are long past): it is the latest measured.
    const { state } = await w.cycles.service.get(pendingCycle);
    expect(state.measurement).toBeDefined();
    const results = await call("GET", "/api/results", { token: w.tokens.mia });
    expect(results.body.cycleId).toBe(pendingCycle);
    const all = results.body.groups.find((g: { group: string }) => g.group === "all campaigns");
    expect(all).toMatchObject({ treatedCount: state.activation!.treated, holdoutCount: state.activation!.holdout });
    expect(all.conversion.ci.low).toBeLessThanOrEqual(all.conversion.difference);
    expect(all.conversion.ci.high).toBeGreaterThanOrEqual(all.conversion.difference);
    expect(results.body.overCycles.map((c: { cycleId: string }) => c.cycleId)).toEqual([w.demo.cycleId, pendingCycle]);

    const models = await call("GET", "/api/models", { token: w.tokens.mia });
    expect(models.status).toBe(200);
    expect(models.body.qini.length).toBeGreaterThan(0);
    expect(models.body.qini.map((q: { cycleId: string }) => q.cycleId)).toContain(w.demo.cycleId);
    for (const q of models.body.qini) {
      expect(q.curve[0]).toEqual({ n: 0, fraction: 0, gain: 0 });
      expect(q.curve.at(-1).fraction).toBe(1);
      expect(q.curve.length).toBeLessThanOrEqual(101);
    }
    expect(models.body.clv.deciles).toHaveLength(10);
    expect(models.body.segmentQuality.map((s: { runId: string }) => s.runId)).toEqual([
      `${w.demo.cycleId}.segments`,
      `${pendingCycle}.segments`,
    ]);
  });

  it("why, verify and a streamed export for compliance", async () => {
    const why = await call("GET", `/api/customers/${w.demo.examples.sent}/why?cycle=${w.demo.cycleId}`, { token: w.tokens.cora });
    expect(why.status).toBe(200);
    expect(why.body).toMatchObject({ customerId: w.demo.examples.sent, cycleId: w.demo.cycleId, outcome: "sent" });
    const verify = await call("GET", "/api/audit/verify", { token: w.tokens.cora });
    const rows = await countAuditRows(w.testDb.db);
    expect(verify.body).toMatchObject({ ok: true, rows });
    // The cycle's per-customer entries are stored as sets: more entries than rows.
    expect((verify.body as { entries: number }).entries).toBeGreaterThan(rows);

    const jsonl = await call("GET", "/api/audit/export?from=2000-01-01&to=2100-01-01", { token: w.tokens.cora });
    expect(jsonl.headers.get("content-type")).toMatch(/ndjson/);
    const lines = jsonl.text.trim().split("\n");
    expect(lines.length).toBe(await countAuditRows(w.testDb.db));
    expect(JSON.parse(lines[0]!)).toMatchObject({ seq: expect.any(Number), hash: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const csv = await call("GET", "/api/audit/export?from=2000-01-01&to=2100-01-01&format=csv", { token: w.tokens.cora });
    expect(csv.text.split("\n")[0]).toBe("seq,at,kind,actor,cycle_id,customer_id,entry,prev_hash,hash");
  });
});
