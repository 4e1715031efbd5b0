import { verifySlackRequest } from "@slack/bolt";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import type { ChatAgent, ChatRequest } from "../../agents/chat/contract.js";
import { createLogger } from "../../core/logger.js";
import { createAuditLog } from "../../guardrails/audit.js";
import { readAuditPage } from "../../store/audit-repo.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import type { CycleService } from "../../workflows/cycle/service.js";
import { createSlackApp, type SlackApp } from "./slack-app.js";
import { formBody, postToSlackApp, slackSignature } from "./testing/signed-request.js";
import { BOT_USER_ID, startSlackStandIn, TEAM_ID, type StandIn } from "./testing/slack-stand-in.js";
import { serveSlackApp } from "./testing/slack-test-server.js";

const SECRET = "test-signing-secret-0123456789";

/** An agent that records what it is asked and answers with the text; "slow ..." takes 3.5 s. */
class RecordingAgent implements ChatAgent {
  readonly requests: ChatRequest[] = [];
  finishedAt: number[] = [];
  async handle(request: ChatRequest) {
    this.requests.push(request);
    if (request.text.startsWith("slow")) await new Promise((r) => setTimeout(r, 3_500));
    this.finishedAt.push(Date.now());
    return { intent: "help" as const, params: {}, text: `you said: ${request.text}`, understoodBy: "offline" as const };
  }
  async close() {}
}

// The request-level tests never reach the cycle; any call to it is a failure.
const noCycles = new Proxy({} as CycleService, {
  get: (_, name) => () => Promise.reject(new Error(`cycle service called (${String(name)}) by a request test`)),
});

describe("Slack requests: signed and fresh, acknowledged at once, answered after", () => {
  let testDb: TestDb;
  let standIn: StandIn;
  let slack: SlackApp;
  let server: { url: string; close(): Promise<void> };
  let agent: RecordingAgent;
  let events: string;
  let authTests: number;

  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    standIn = await startSlackStandIn();
    agent = new RecordingAgent();
    slack = await createSlackApp({
      config: {
        SLACK_SIGNING_SECRET: SECRET,
        SLACK_BOT_TOKEN: "xoxb-test-token",
        PULSE_SLACK_APPROVALS_CHANNEL: "CAPPROVALS",
        PULSE_SLACK_API_URL: standIn.apiUrl,
        PULSE_SLACK_ROLES: { UMKT: "marketer", UCOMP: "compliance" },
        PULSE_SLACK_SYNC_MS: 30_000,
      },
      agent,
      service: noCycles,
      db: testDb.db,
      audit: createAuditLog(testDb.db),
      logger: createLogger("silent"),
      clientOptions: { retryConfig: { retries: 0 } },
      syncTimer: false,
    });
    authTests = standIn.callsOf("auth.test").length;
    server = await serveSlackApp(slack);
    events = `${server.url}/slack/events`;
  });
  afterAll(async () => {
    await server?.close();
    await slack?.close();
    await standIn?.close();
    await testDb?.drop();
  });
  beforeEach(() => {
    standIn.calls.length = 0;
    agent.requests.length = 0;
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
  const auditRows = async () => (await readAuditPage(testDb.db, 0, 10_000)).filter((r) => r.kind === "interface_request");

  it("the app verified its bot token with the stand-in at start and ignores its own messages", async () => {
    expect(authTests).toBe(1);
    const mention = JSON.stringify({
      type: "event_callback",
      team_id: TEAM_ID,
      api_app_id: "APULSE",
      event_id: "EvSelf",
      event_time: 1,
      event: {
        type: "message",
        channel_type: "im",
        user: BOT_USER_ID,
        bot_id: "BPULSE",
        text: "my own message",
        ts: "1.1",
        channel: "DBOT",
      },
    });
    expect((await postToSlackApp(events, mention, { secret: SECRET })).status).toBe(200);
    await slack.idle();
    expect(agent.requests).toHaveLength(0);
  });

  it("answers Slack's URL verification when signed", async () => {
    const body = JSON.stringify({ type: "url_verification", challenge: "ch-123", token: "x" });
    const res = await postToSlackApp(events, body, { secret: SECRET });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toEqual({ challenge: "ch-123" });
  });

  it("refuses forged, unsigned, tampered, stale and future requests with 401, and nothing happens", async () => {
    const body = slash("UMKT", "segments please", "forged");
    const now = Math.floor(Date.now() / 1000);
    const before = (await auditRows()).length;
    const attempts = {
      forged: await postToSlackApp(events, body, { secret: "not-the-signing-secret" }),
      unsigned: await postToSlackApp(events, body, {}),
      malformed: await postToSlackApp(events, body, { signature: "v1=abc" }),
      tampered: await postToSlackApp(events, body, { signature: slackSignature(SECRET, now, slash("UMKT", "other text", "forged")) }),
      stale: await postToSlackApp(events, body, { secret: SECRET, timestampSec: now - 6 * 60 }),
      future: await postToSlackApp(events, body, { secret: SECRET, timestampSec: now + 6 * 60 }),
      noTimestamp: await postToSlackApp(events, body, { secret: SECRET, timestampSec: Number.NaN }),
      unsignedSslCheck: await postToSlackApp(events, formBody({ ssl_check: "1", token: "x" }), {}),
    };
    expect(Object.fromEntries(Object.entries(attempts).map(([k, v]) => [k, v.status]))).toEqual({
      forged: 401,
      unsigned: 401,
      malformed: 401,
      tampered: 401,
      stale: 401,
      future: 401,
      noTimestamp: 401,
      unsignedSslCheck: 401,
    });
    await slack.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect(agent.requests).toHaveLength(0);
    expect(standIn.calls).toHaveLength(0);
    expect((await auditRows()).length).toBe(before);
  });

  it("a request from the future passes Bolt's own check, which is why Pulse checks it first", () => {
    const now = Math.floor(Date.now() / 1000);
    const body = "x=1";
    const ts = now + 6 * 60;
    expect(() =>
      verifySlackRequest({
        signingSecret: SECRET,
        body,
        headers: { "x-slack-signature": slackSignature(SECRET, ts, body), "x-slack-request-timestamp": ts },
      }),
    ).not.toThrow();
  });

  it("accepts requests signed up to five minutes ago or ahead", async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const ts of [now - 4 * 60, now + 4 * 60]) {
      const res = await postToSlackApp(events, JSON.stringify({ type: "url_verification", challenge: `c${ts}` }), {
        secret: SECRET,
        timestampSec: ts,
      });
      expect(res.status).toBe(200);
    }
  });

  it("anything but POST /slack/events is not the Slack app's", async () => {
    expect((await fetch(`${server.url}/slack/other`, { method: "POST", body: "x" })).status).toBe(404);
    expect((await fetch(events)).status).toBe(405);
  });

  it("/pulse: acknowledged within 3 s, the agent's answer posted to the response URL after; the agent audits it (the one record)", async () => {
    const res = await postToSlackApp(events, slash("UMKT", "slow: how are the segments doing?", "r1"), { secret: SECRET });
    expect(res.status).toBe(200);
    expect(res.ms).toBeLessThan(3_000);
    const ackedAt = Date.now();
    expect(JSON.parse(res.body)).toMatchObject({ response_type: "ephemeral" });
    const [answer] = await standIn.waitFor("response:r1");
    // The HTTP response came back before the agent had finished.
    expect(agent.finishedAt.at(-1)!).toBeGreaterThan(ackedAt);
    expect(answer!.args).toMatchObject({ text: "you said: slow: how are the segments doing?", response_type: "ephemeral" });
    expect(agent.requests[0]).toMatchObject({
      text: "slow: how are the segments doing?",
      actor: { id: "slack:UMKT", role: "marketer" },
      via: "slack",
      source: "slash_command",
      threadId: "slack:CGENERAL:UMKT",
    });
    await slack.idle();
    // The agent records the request with its Slack source (agent.int.test.ts, chat-flow-redis.int.test.ts): Slack adds nothing.
    expect(await auditRows()).toEqual([]);
  }, 20_000);

  it("contact data in a request Slack audits itself (a refusal) is redacted before it reaches the audit log", async () => {
    await postToSlackApp(events, slash("UNOBODY", "why did ann@example.com get this?", "r2"), { secret: SECRET });
    await standIn.waitFor("response:r2");
    await slack.idle();
    const entry = (await auditRows()).at(-1)!;
    expect(entry.entry).toMatchObject({ text: "why did [email] get this?", outcome: "refused" });
    expect(JSON.stringify(entry.entry)).not.toContain("ann@example.com");
  });

  it("the agent's answer is escaped for Slack (no stray mentions or links)", async () => {
    await postToSlackApp(events, slash("UMKT", "is <!channel> & <@U1> a > b?", "r-esc"), { secret: SECRET });
    const [answer] = await standIn.waitFor("response:r-esc");
    expect(answer!.args.text).toBe("you said: is &lt;!channel&gt; &amp; &lt;@U1&gt; a &gt; b?");
  });

  it("an unknown user gets a polite refusal, the agent is not asked, and the refusal is audited", async () => {
    await postToSlackApp(events, slash("UNOBODY", "approve everything", "r3"), { secret: SECRET });
    const [answer] = await standIn.waitFor("response:r3");
    expect(String(answer!.args.text)).toMatch(/^Sorry, I can't help you yet: your Slack user \(UNOBODY\) has no Pulse role/);
    expect(agent.requests).toHaveLength(0);
    await slack.idle();
    const entry = (await auditRows()).at(-1)!;
    expect(entry.actor).toBe("slack:UNOBODY");
    expect(entry.entry).toMatchObject({ source: "slash_command", role: null, outcome: "refused" });
  });

  it("a mention is answered in its thread, without the bot's mention in the request", async () => {
    const body = JSON.stringify({
      type: "event_callback",
      team_id: TEAM_ID,
      api_app_id: "APULSE",
      event_id: "EvMention1",
      event_time: 1,
      event: {
        type: "app_mention",
        user: "UCOMP",
        text: `<@${BOT_USER_ID}> verify the audit log`,
        ts: "1700.0001",
        channel: "CGENERAL",
        event_ts: "1700.0001",
      },
    });
    expect((await postToSlackApp(events, body, { secret: SECRET })).status).toBe(200);
    const [posted] = await standIn.waitFor("chat.postMessage");
    expect(posted!.args).toMatchObject({ channel: "CGENERAL", thread_ts: "1700.0001", text: "you said: verify the audit log" });
    expect(posted!.token).toBe("xoxb-test-token");
    expect(agent.requests[0]).toMatchObject({ actor: { id: "slack:UCOMP", role: "compliance" }, threadId: "slack:CGENERAL:1700.0001" });
    // Slack retries an event it thinks was lost: the retry is not handled a second time.
    expect((await postToSlackApp(events, body, { secret: SECRET })).status).toBe(200);
    await slack.idle();
    await new Promise((r) => setTimeout(r, 200));
    expect(agent.requests).toHaveLength(1);
  });

  it("a direct message is answered in the conversation", async () => {
    const body = JSON.stringify({
      type: "event_callback",
      team_id: TEAM_ID,
      api_app_id: "APULSE",
      event_id: "EvDm1",
      event_time: 1,
      event: { type: "message", channel_type: "im", user: "UMKT", text: "what can you do?", ts: "1700.0002", channel: "DMKT" },
    });
    expect((await postToSlackApp(events, body, { secret: SECRET })).status).toBe(200);
    const [posted] = await standIn.waitFor("chat.postMessage");
    expect(posted!.args).toMatchObject({ channel: "DMKT", text: "you said: what can you do?" });
    expect(posted!.args.thread_ts).toBeUndefined();
    expect(agent.requests[0]).toMatchObject({ text: "what can you do?", actor: { id: "slack:UMKT" }, threadId: "slack:DMKT:dm" });
  });
});
