import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatAgent, ChatRequest } from "../../agents/chat/contract.js";
import { parseConfig } from "../../core/config.js";
import { ConfigError } from "../../core/errors.js";
import { createLogger } from "../../core/logger.js";
import { createAuditLog } from "../../guardrails/audit.js";
import { createTestDb, type TestDb } from "../../store/test-db.js";
import type { CycleService } from "../../workflows/cycle/service.js";
import { createSlackApp, type SlackApp, type SlackConfig } from "./slack-app.js";
import { slackMode } from "./slack-mode.js";
import { postToSlackApp } from "./testing/signed-request.js";
import { BOT_USER_ID, startSlackStandIn, TEAM_ID, type StandIn } from "./testing/slack-stand-in.js";
import { serveSlackApp } from "./testing/slack-test-server.js";

/**
 * Socket mode without reaching Slack: which mode the configuration selects, and that Slack's
 * envelopes, as the socket-mode client hands them over, reach the same handlers as over HTTP
 * (acknowledged over the socket at once, answered through the Web API stand-in after).
 */

class RecordingAgent implements ChatAgent {
  readonly requests: ChatRequest[] = [];
  async handle(request: ChatRequest) {
    this.requests.push(request);
    return { intent: "help" as const, params: {}, text: `you said: ${request.text}`, understoodBy: "offline" as const };
  }
  async close() {}
}

const noCycles = new Proxy({} as CycleService, {
  get: (_, name) => () => Promise.reject(new Error(`cycle service called (${String(name)}) by a socket-mode test`)),
});

describe("the Slack app's mode, chosen by configuration", () => {
  it("socket mode with an app token (no signing secret needed), HTTP with a signing secret, none without either", () => {
    expect(slackMode({ SLACK_APP_TOKEN: "xapp-1-A-1-abc", SLACK_SIGNING_SECRET: undefined })).toBe("socket");
    expect(slackMode({ SLACK_APP_TOKEN: "xapp-1-A-1-abc", SLACK_SIGNING_SECRET: "a-signing-secret" })).toBe("socket");
    expect(slackMode({ SLACK_APP_TOKEN: undefined, SLACK_SIGNING_SECRET: "a-signing-secret" })).toBe("http");
    expect(slackMode({ SLACK_APP_TOKEN: undefined, SLACK_SIGNING_SECRET: undefined })).toBeNull();
    expect(parseConfig({ SLACK_APP_TOKEN: "xapp-1-A-1-abc" }).SLACK_APP_TOKEN).toBe("xapp-1-A-1-abc");
    expect(parseConfig({ SLACK_APP_TOKEN: "" }).SLACK_APP_TOKEN).toBeUndefined();
  });

  it("refuses a bot token given as the app token, naming the variable", () => {
    expect(() => parseConfig({ SLACK_APP_TOKEN: "xoxb-123" })).toThrow(/SLACK_APP_TOKEN/);
    expect(() => parseConfig({ SLACK_APP_TOKEN: "xoxb-123" })).toThrow(ConfigError);
  });
});

describe("the Slack app over socket mode (envelopes fed to its socket-mode client)", () => {
  let testDb: TestDb;
  let standIn: StandIn;
  let slack: SlackApp;
  let agent: RecordingAgent;
  const config = (): SlackConfig => ({
    SLACK_SIGNING_SECRET: undefined,
    SLACK_APP_TOKEN: "xapp-1-APULSE-1-socket-test",
    SLACK_BOT_TOKEN: "xoxb-socket-test",
    PULSE_SLACK_APPROVALS_CHANNEL: "CAPPROVALS",
    PULSE_SLACK_API_URL: standIn.apiUrl,
    PULSE_SLACK_ROLES: { UMKT: "marketer" },
    PULSE_SLACK_SYNC_MS: 30_000,
  });

  beforeAll(async () => {
    testDb = await createTestDb("postgres");
    standIn = await startSlackStandIn();
    agent = new RecordingAgent();
    slack = await createSlackApp({
      config: config(),
      agent,
      service: noCycles,
      db: testDb.db,
      audit: createAuditLog(testDb.db),
      logger: createLogger("silent"),
      clientOptions: { retryConfig: { retries: 0 } },
      syncTimer: false,
    });
  });
  afterAll(async () => {
    await slack?.close();
    await standIn?.close();
    await testDb?.drop();
  });

  /** Hands the app one envelope as the socket-mode client does; resolves with what was acknowledged. */
  function envelope(type: string, body: Record<string, unknown>): Promise<unknown> {
    return new Promise((resolve) => {
      slack.socketModeClient!.emit("slack_event", {
        ack: async (response?: unknown) => resolve(response ?? null),
        envelope_id: `env-${Math.random().toString(36).slice(2)}`,
        type,
        body,
        retry_num: undefined,
        retry_reason: undefined,
        accepts_response_payload: type === "slash_commands",
      });
    });
  }

  it("is in socket mode and serves nothing over HTTP, not even a signed request", async () => {
    expect(slack.mode).toBe("socket");
    expect(slack.socketModeClient).toBeDefined();
    const server = await serveSlackApp(slack);
    try {
      const res = await postToSlackApp(`${server.url}/slack/events`, JSON.stringify({ type: "url_verification", challenge: "c" }), {
        secret: "whatever-secret",
      });
      expect(res.status).toBe(404);
    } finally {
      await server.close();
    }
  });

  it("a /pulse command over the socket is acknowledged at once and answered on its response URL, as the Slack user", async () => {
    const acked = await envelope("slash_commands", {
      token: "legacy",
      team_id: TEAM_ID,
      channel_id: "CGENERAL",
      user_id: "UMKT",
      command: "/pulse",
      text: "what can you do?",
      response_url: standIn.responseUrl("s1"),
      trigger_id: "1.2.abc",
      api_app_id: "APULSE",
    });
    expect(acked).toMatchObject({ response_type: "ephemeral", text: "On it…" });
    const [answer] = await standIn.waitFor("response:s1");
    expect(answer!.args).toMatchObject({ response_type: "ephemeral", text: "you said: what can you do?" });
    expect(agent.requests.at(-1)).toMatchObject({
      actor: { id: "slack:UMKT", role: "marketer" },
      via: "slack",
      source: "slash_command",
      threadId: "slack:CGENERAL:UMKT",
    });
  });

  it("a mention over the socket is answered in its thread through the Web API", async () => {
    await envelope("events_api", {
      type: "event_callback",
      team_id: TEAM_ID,
      api_app_id: "APULSE",
      event_id: "EvSocket1",
      event_time: 1,
      authorizations: [{ team_id: TEAM_ID, user_id: BOT_USER_ID, is_bot: true }],
      event: {
        type: "app_mention",
        user: "UMKT",
        text: `<@${BOT_USER_ID}> help`,
        ts: "1700.0009",
        channel: "CGENERAL",
        event_ts: "1700.0009",
      },
    });
    const [posted] = await standIn.waitFor("chat.postMessage");
    expect(posted!.args).toMatchObject({ channel: "CGENERAL", thread_ts: "1700.0009", text: "you said: help" });
    expect(posted!.token).toBe("xoxb-socket-test");
    expect(agent.requests.at(-1)).toMatchObject({ source: "app_mention", threadId: "slack:CGENERAL:1700.0009" });
  });

  it("an HTTP app still needs its signing secret", async () => {
    await expect(
      createSlackApp({
        config: { ...config(), SLACK_APP_TOKEN: undefined },
        agent,
        service: noCycles,
        db: testDb.db,
        audit: createAuditLog(testDb.db),
        logger: createLogger("silent"),
        syncTimer: false,
      }),
    ).rejects.toThrow(/SLACK_SIGNING_SECRET/);
  });
});
