import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Role } from "../../../core/roles.js";
import { createAuditLog } from "../../../guardrails/audit.js";
import { createTestDb, type TestDb } from "../../../store/test-db.js";
import { testConfig } from "../../../workflows/cycle/testing/cycle-test-kit.js";
import { runDemo, type DemoReport } from "../../../workflows/demo.js";
import { openCycleContext, type CycleContext } from "../../cli/cycle-context.js";
import { createHttpServer, type HttpServer, type Mount } from "../server.js";
import { createApiToken, revokeApiToken } from "../tokens.js";

/**
 * Test support: a PostgreSQL test database holding the demo's simulated retailer after one whole
 * cycle (measured and learned), the HTTP server on a free port over the CLI's cycle wiring, and a
 * token per role (ann is an admin, so she may start cycles and decide, but not on her own plans).
 */
export interface HttpWorld {
  testDb: TestDb;
  demo: DemoReport;
  cycles: CycleContext;
  http: HttpServer;
  url: string;
  dataDir: string;
  tokens: Record<"ann" | "bob" | "mia" | "cora", string>;
  /** An approver's token that has been revoked. */
  revoked: string;
  close(): Promise<void>;
}

export const TOKEN_ROLES: Record<keyof HttpWorld["tokens"], Role> = { ann: "admin", bob: "approver", mia: "marketer", cora: "compliance" };

export async function startHttpWorld(options: { customers: number; seed: number; mounts?: Mount[] }): Promise<HttpWorld> {
  const testDb = await createTestDb("postgres");
  const dataDir = await mkdtemp(path.join(tmpdir(), "pulse-http-test-"));
  const config = testConfig({ PULSE_DATA_DIR: dataDir, REDIS_URL: undefined });
  const demo = await runDemo({ db: testDb.db, config, customers: options.customers, seed: options.seed });
  const audit = createAuditLog(testDb.db);
  const cycles = await openCycleContext(testDb.db, config);
  const http = await createHttpServer({ db: testDb.db, config, cycles, audit, ...(options.mounts ? { mounts: options.mounts } : {}) });
  const url = await http.listen(0);
  const tokens = {} as HttpWorld["tokens"];
  for (const [name, role] of Object.entries(TOKEN_ROLES) as [keyof HttpWorld["tokens"], Role][])
    tokens[name] = (await createApiToken(testDb.db, audit, { name, role }, "test:setup")).token;
  const revoked = (await createApiToken(testDb.db, audit, { name: "old", role: "approver" }, "test:setup")).token;
  await revokeApiToken(testDb.db, audit, "old", "test:setup");
  return {
    testDb,
    demo,
    cycles,
    http,
    url,
    dataDir,
    tokens,
    revoked,
    async close() {
      await http.close();
      await cycles.close();
      await testDb.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** The demo's world a little after its attribution window: when the next cycle looks at the data. */
export function nextCycleAsOf(demo: DemoReport): string {
  return new Date(new Date(demo.state.activation!.measureAt).getTime() + 3_600_000).toISOString();
}

/** Settings that make a plan wait for a person (any audience needs approval). */
export const NEEDS_APPROVAL = { approvalPolicy: { maxAutoAudience: 0 } };
