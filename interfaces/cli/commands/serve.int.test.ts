import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadConfig } from "../../../core/config.js";
import { createTestDb, type TestDb } from "../../../store/test-db.js";
import { formBody, postToSlackApp } from "../../slack/testing/signed-request.js";
import { startSlackStandIn, TEAM_ID, type StandIn } from "../../slack/testing/slack-stand-in.js";

/** `pulse serve` as an operator runs it, with Slack configured: one port for the API, the dashboard and Slack's events. */
const root = fileURLToPath(new URL("../../../", import.meta.url));
const SECRET = "serve-test-signing-secret";
let testDb: TestDb;
let dataDir: string;
let standIn: StandIn;
let serve: ChildProcess;
let base: string;

beforeAll(async () => {
  testDb = await createTestDb("postgres");
  dataDir = await mkdtemp(path.join(tmpdir(), "pulse-serve-cli-"));
  standIn = await startSlackStandIn();
  serve = spawn("node", ["bin/pulse.mjs", "serve", "--port", "0"], {
    cwd: root,
    env: {
      ...process.env,
      DATABASE_URL: loadConfig().PULSE_TEST_DATABASE_URL,
      PULSE_DB_SCHEMA: testDb.db.schema,
      PULSE_DATA_DIR: dataDir,
      OPENAI_API_KEY: "",
      REDIS_URL: "",
      SLACK_SIGNING_SECRET: SECRET,
      SLACK_BOT_TOKEN: "xoxb-serve-test",
      PULSE_SLACK_APPROVALS_CHANNEL: "CAPPROVALS",
      PULSE_SLACK_API_URL: standIn.apiUrl,
      PULSE_SLACK_ROLES: "UMKT:marketer",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  let err = "";
  serve.stderr!.on("data", (d) => (err += String(d)));
  base = await new Promise<string>((resolve, reject) => {
    serve.stdout!.on("data", (d) => {
      out += String(d);
      const m = /Slack events at (http:\/\/[^/\s]+)\/slack\/events/.exec(out);
      if (m) resolve(m[1]!);
    });
    serve.once("exit", (code) => reject(new Error(`pulse serve exited (${code}): ${out}${err}`)));
  });
}, 120_000);

afterAll(async () => {
  if (serve && serve.exitCode === null) {
    serve.kill("SIGTERM");
    await once(serve, "exit");
  }
  await standIn?.close();
  await testDb?.drop();
  await rm(dataDir, { recursive: true, force: true });
});

const slash = (user: string, text: string, responseId: string) =>
  formBody({
    token: "legacy",
    team_id: TEAM_ID,
    channel_id: "CGENERAL",
    user_id: user,
    command: "/pulse",
    text,
    response_url: standIn.responseUrl(responseId),
    trigger_id: "1.2.abc",
    api_app_id: "APULSE",
  });

describe("pulse serve with Slack configured", () => {
  it("answers /pulse through the chat agent on the same port as the API, audited as the Slack user", async () => {
    expect((await fetch(`${base}/health`)).status).toBe(200);
    const res = await postToSlackApp(`${base}/slack/events`, slash("UMKT", "what can you do?", "help-1"), { secret: SECRET });
    expect(res.status).toBe(200);
    const [answer] = await standIn.waitFor("response:help-1", 1, 60_000);
    expect(JSON.stringify(answer!.args)).toContain("plan a campaign");
    // One record of the request: the agent's, naming how it came in through Slack.
    const { rows } = await testDb.db.pool.query<{ kind: string; actor: string; intent: string; source: string }>(
      "SELECT kind, actor, entry->>'intent' AS intent, entry->>'source' AS source FROM audit_log WHERE kind IN ('chat', 'interface_request') ORDER BY seq",
    );
    expect(rows).toEqual([{ kind: "chat", actor: "slack:UMKT", intent: "help", source: "slash_command" }]);
  }, 90_000);

  it("refuses an unsigned request with 401 and runs nothing", async () => {
    const before = standIn.calls.length;
    const res = await postToSlackApp(`${base}/slack/events`, slash("UMKT", "refresh now", "forged-1"), {});
    expect(res.status).toBe(401);
    await new Promise((r) => setTimeout(r, 500));
    expect(standIn.callsOf("response:forged-1")).toEqual([]);
    expect(standIn.calls.length).toBe(before);
  }, 30_000);
});
