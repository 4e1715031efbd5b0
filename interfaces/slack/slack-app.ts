import type { IncomingMessage, ServerResponse } from "node:http";
import { App, HTTPReceiver, LogLevel, SocketModeReceiver, type Logger as BoltLogger, type RespondFn, type webApi } from "@slack/bolt";
import type { ChatAgent, ChatReply, PendingPlan } from "../../agents/chat/contract.js";
import { redactPii } from "../../agents/llm/redact.js";
import { systemClock, type Clock } from "../../core/clock.js";
import type { Config } from "../../core/config.js";
import { ConfigError, PulseError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import { can, type Actor } from "../../core/roles.js";
import type { AuditLog } from "../../guardrails/audit.js";
import type { InterfaceRequestEntry } from "../../guardrails/audit-entries.js";
import { messageCounts } from "../../store/messages-repo.js";
import type { Db } from "../../store/db.js";
import {
  claimSlackLiftPost,
  claimSlackPlanMessageChange,
  getSlackPlanMessage,
  openSlackPlanMessages,
  claimSlackPlanPost,
  releaseSlackPlanPost,
  savePostedSlackPlanMessage,
  setSlackLiftTs,
  slackPlanMessagesOfCycle,
  unpostedOpenApprovals,
  type SlackPlanMessage,
} from "../../store/slack-messages-repo.js";
import { checkDecision } from "../../guardrails/approval-rules.js";
import type { CycleService } from "../../workflows/cycle/service.js";
import { pendingPlanOf, planOf } from "../../agents/chat/pending-plan.js";
import { planOutcome, type PlanOutcome } from "./plan-outcome.js";
import { escapeMrkdwn, liftBlocks, liftText, planBlocks, planText, rejectModal } from "./plan-blocks.js";
import {
  APPROVE_ACTION,
  messageEventSchema,
  planButtonPayloadSchema,
  REJECT_ACTION,
  REJECT_MODAL,
  REJECT_REASON,
  rejectSubmissionSchema,
  slashCommandSchema,
  type PlanRef,
} from "./payloads.js";
import { refuse, verifyRequest } from "./request-gate.js";
import { slackMode, type SlackMode } from "./slack-mode.js";
import { slackActor, slackActorId, unknownUserText } from "./slack-actor.js";

/** The one path Slack posts to: events, slash commands and interactivity alike. */
export const SLACK_EVENTS_PATH = "/slack/events";

export type SlackConfig = Pick<
  Config,
  | "SLACK_SIGNING_SECRET"
  | "SLACK_APP_TOKEN"
  | "SLACK_BOT_TOKEN"
  | "PULSE_SLACK_APPROVALS_CHANNEL"
  | "PULSE_SLACK_API_URL"
  | "PULSE_SLACK_ROLES"
  | "PULSE_SLACK_SYNC_MS"
>;

export interface SlackAppDeps {
  config: SlackConfig;
  agent: ChatAgent;
  service: CycleService;
  db: Db;
  audit: AuditLog;
  logger: Logger;
  /** The cycle's clock (which approvals are still open); default the system clock. */
  clock?: Clock;
  /** Web API client options (retries, timeout); slackApiUrl comes from PULSE_SLACK_API_URL. */
  clientOptions?: webApi.WebClientOptions;
  /** Bring open plan messages up to date every PULSE_SLACK_SYNC_MS (default true). */
  syncTimer?: boolean;
}

export interface SlackApp {
  /** How Slack's requests arrive: over HTTP (requestListener) or socket mode (start() connects). */
  readonly mode: SlackMode;
  /**
   * Node request listener for POST /slack/events; anything else gets 404. Unsigned or stale requests
   * get 401. In socket mode nothing is served over HTTP: every request gets 404.
   */
  requestListener(req: IncomingMessage, res: ServerResponse): void;
  /** Socket mode: opens the connection to Slack (apps.connections.open, then the WebSocket). HTTP: nothing to do. */
  start(): Promise<void>;
  /** Socket mode's client (Slack's events arrive as its `slack_event`s); undefined over HTTP. */
  readonly socketModeClient: SocketModeReceiver["client"] | undefined;
  /** Posts a plan waiting for approval to the approvals channel, once per approval; null while another process posts it. */
  postPendingPlan(plan: PendingPlan): Promise<SlackPlanMessage | null>;
  /** Brings a cycle's plan messages up to date (decided, expired, sent, measured: then the lift readout). */
  updatePlanMessage(cycleId: string): Promise<PlanOutcome[]>;
  /** Posts a cycle's lift readout once measured: in its plan message's thread, or on its own. */
  postLift(cycleId: string): Promise<boolean>;
  /**
   * Posts every open plan not posted yet (started by the scheduler or the CLI, or a post that failed),
   * then runs updatePlanMessage for every plan message that may still change; returns how many it handled.
   */
  syncOpenPlans(): Promise<number>;
  /** Resolves once the work requests started so far has finished. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

type Source = "slash_command" | "app_mention" | "direct_message" | "approve_button" | "reject_button" | "reject_modal";

function boltLogger(log: Logger): BoltLogger {
  const line = (msg: unknown[]) => msg.map((m) => (typeof m === "string" ? m : JSON.stringify(m))).join(" ");
  return {
    debug: (...m) => log.debug({ slack: "bolt" }, line(m)),
    info: (...m) => log.info({ slack: "bolt" }, line(m)),
    warn: (...m) => log.warn({ slack: "bolt" }, line(m)),
    error: (...m) => log.error({ slack: "bolt" }, line(m)),
    setLevel: () => {},
    getLevel: () => LogLevel.DEBUG,
    setName: () => {},
  };
}

/**
 * The Slack app: Bolt over an HTTP receiver whose request listener the HTTP server mounts at
 * /slack/events. Every request is checked for signature and freshness before Bolt sees it. Slash
 * commands, mentions and direct messages go to the chat agent as the Slack user's Pulse actor
 * (acknowledged at once, answered when the agent is done); plans waiting for approval are posted
 * with Approve and Reject buttons, decided through the cycle service, and their messages kept up to
 * date. Everything asked on someone's behalf is audited with them as the actor.
 */
export async function createSlackApp(deps: SlackAppDeps): Promise<SlackApp> {
  const { config, agent, service, db, audit, logger } = deps;
  const clock = deps.clock ?? systemClock;
  const mode = slackMode(config) ?? "http";
  const signingSecret = mode === "http" ? required(config.SLACK_SIGNING_SECRET, "SLACK_SIGNING_SECRET") : "";
  const token = required(config.SLACK_BOT_TOKEN, "SLACK_BOT_TOKEN");
  const approvalsChannel = required(config.PULSE_SLACK_APPROVALS_CHANNEL, "PULSE_SLACK_APPROVALS_CHANNEL");
  const roles = config.PULSE_SLACK_ROLES;
  const log = logger.child({ interface: "slack" });

  const slackApiUrl = config.PULSE_SLACK_API_URL ? { slackApiUrl: config.PULSE_SLACK_API_URL } : {};
  // Socket mode: Slack authenticates the connection Pulse opens with the app token, so no request signing.
  const socket =
    mode === "socket"
      ? new SocketModeReceiver({
          appToken: config.SLACK_APP_TOKEN!,
          logger: boltLogger(log),
          installerOptions: { clientOptions: { ...deps.clientOptions, ...slackApiUrl } },
        })
      : undefined;
  const receiver =
    socket ??
    new HTTPReceiver({
      signingSecret,
      endpoints: [SLACK_EVENTS_PATH],
      logger: boltLogger(log),
      processBeforeResponse: false,
    });
  const app = new App({
    receiver,
    token,
    logger: boltLogger(log),
    deferInitialization: true,
    clientOptions: { ...deps.clientOptions, ...slackApiUrl },
  });
  await app.init();
  const client = app.client;

  // Work started after ack(): tracked so idle() and close() can wait for it.
  const inFlight = new Set<Promise<unknown>>();
  const track = (work: Promise<unknown>) => {
    const p = work.catch((err: unknown) => log.error({ err }, "slack work failed"));
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
    return p;
  };

  async function record(userId: string, actor: Actor | null, source: Source, text: string, rest: Partial<InterfaceRequestEntry>) {
    await audit.append({
      kind: "interface_request",
      actor: actor?.id ?? slackActorId(userId),
      ...(rest.cycleId ? { cycleId: rest.cycleId } : {}),
      entry: { via: "slack", source, text: redactPii(text).slice(0, 2000), role: actor?.role ?? null, outcome: "answered", ...rest },
    });
  }

  /** One plain-language request to the agent, as the Slack user; the answer text. */
  async function ask(userId: string, text: string, threadId: string, source: Source): Promise<string> {
    const actor = slackActor(userId, roles);
    if (!actor) {
      await record(userId, null, source, text, { outcome: "refused", reason: "unknown Slack user: no role in PULSE_SLACK_ROLES" });
      return unknownUserText(userId);
    }
    let reply: ChatReply;
    try {
      // The agent audits the request (its chat entry names the Slack source): that is the request's one record.
      reply = await agent.handle({ text, actor, threadId, via: "slack", source });
    } catch (err) {
      await record(userId, actor, source, text, { outcome: "failed", reason: (err as Error).message.slice(0, 1000) });
      return `Sorry, that did not work: ${escapeMrkdwn((err as Error).message)}`;
    }
    const decided =
      (reply.intent === "approve" || reply.intent === "reject") && typeof reply.params.cycle === "string" ? reply.params.cycle : null;
    // Decided in words: the plan's message shows it now rather than at the next sync.
    if (decided) await updatePlanMessage(decided).catch((err: unknown) => log.warn({ err, cycleId: decided }, "plan message not updated"));
    if (reply.pendingPlan) {
      try {
        await postPendingPlan(reply.pendingPlan);
      } catch (err) {
        log.error({ err, cycleId: reply.pendingPlan.cycleId }, "plan not posted for approval");
        return `${escapeMrkdwn(reply.text)}\nThe plan waits for an approver, but I could not post it in <#${approvalsChannel}> (${escapeMrkdwn((err as Error).message)}); the next sync tries again.`;
      }
      return `${escapeMrkdwn(reply.text)}\nThe plan is posted in <#${approvalsChannel}> for an approver.`;
    }
    return escapeMrkdwn(reply.text);
  }

  async function postPendingPlan(plan: PendingPlan): Promise<SlackPlanMessage | null> {
    if (!(await claimSlackPlanPost(db, { approvalId: plan.approvalId, cycleId: plan.cycleId, channel: approvalsChannel }))) {
      const existing = await getSlackPlanMessage(db, plan.approvalId);
      return existing && existing.shown !== "posting" ? existing : null;
    }
    const waiting: PlanOutcome = { kind: "waiting" };
    try {
      const posted = await client.chat.postMessage({
        channel: approvalsChannel,
        text: planText(plan, waiting),
        blocks: planBlocks(plan, waiting),
      });
      if (!posted.ts) throw new PulseError("SLACK_API", "chat.postMessage returned no ts");
      log.info({ cycleId: plan.cycleId, approvalId: plan.approvalId, ts: posted.ts }, "plan posted for approval");
      return await savePostedSlackPlanMessage(db, {
        approvalId: plan.approvalId,
        channel: posted.channel ?? approvalsChannel,
        ts: posted.ts,
        shown: "waiting",
      });
    } catch (err) {
      await releaseSlackPlanPost(db, plan.approvalId);
      throw err;
    }
  }

  /** Updates one plan message to what its cycle shows now; posts the lift readout once measured. */
  async function syncMessage(m: SlackPlanMessage): Promise<PlanOutcome> {
    const { state } = await service.get(m.cycleId);
    const outcome = planOutcome(state, await messageCounts(db, m.cycleId));
    const plan = planOf(state);
    if (plan && outcome.kind !== m.shown && (await claimSlackPlanMessageChange(db, m.approvalId, m.shown, outcome.kind))) {
      try {
        await client.chat.update({ channel: m.channel, ts: m.ts, text: planText(plan, outcome), blocks: planBlocks(plan, outcome) });
      } catch (err) {
        // Shown as before, so the next sync tries again.
        await claimSlackPlanMessageChange(db, m.approvalId, outcome.kind, m.shown);
        throw err;
      }
    }
    if (state.measurement && m.liftTs === null && (await claimSlackLiftPost(db, m.approvalId))) {
      try {
        const posted = await client.chat.postMessage({
          channel: m.channel,
          thread_ts: m.ts,
          reply_broadcast: true,
          text: liftText(m.cycleId, state.measurement),
          blocks: liftBlocks(m.cycleId, state.measurement),
        });
        await setSlackLiftTs(db, m.approvalId, posted.ts ?? "posted");
      } catch (err) {
        await setSlackLiftTs(db, m.approvalId, null);
        throw err;
      }
    }
    return outcome;
  }

  async function updatePlanMessage(cycleId: string): Promise<PlanOutcome[]> {
    const out: PlanOutcome[] = [];
    for (const m of await slackPlanMessagesOfCycle(db, cycleId)) out.push(await syncMessage(m));
    return out;
  }

  async function postLift(cycleId: string): Promise<boolean> {
    const { state } = await service.get(cycleId);
    if (!state.measurement) return false;
    const messages = await slackPlanMessagesOfCycle(db, cycleId);
    if (messages.length > 0) {
      await updatePlanMessage(cycleId);
      return true;
    }
    // Auto-approved: no plan message to answer in the thread of; the readout stands on its own.
    const key = state.review?.approvalId ?? `cycle:${cycleId}`;
    if (!(await claimSlackPlanPost(db, { approvalId: key, cycleId, channel: approvalsChannel }))) return true;
    try {
      const posted = await client.chat.postMessage({
        channel: approvalsChannel,
        text: liftText(cycleId, state.measurement),
        blocks: liftBlocks(cycleId, state.measurement),
      });
      const ts = posted.ts ?? "posted";
      await savePostedSlackPlanMessage(db, {
        approvalId: key,
        channel: posted.channel ?? approvalsChannel,
        ts,
        shown: "measured",
        liftTs: ts,
      });
    } catch (err) {
      await releaseSlackPlanPost(db, key);
      throw err;
    }
    return true;
  }

  let syncing: Promise<number> | undefined;
  async function syncOpenPlans(): Promise<number> {
    syncing ??= (async () => {
      let n = 0;
      for (const open of await unpostedOpenApprovals(db, clock.now())) {
        try {
          const { state, waiting } = await service.get(open.cycleId);
          const plan = pendingPlanOf(state, waiting);
          if (plan?.approvalId === open.approvalId) {
            await postPendingPlan(plan);
            n++;
          }
        } catch (err) {
          log.warn({ err, cycleId: open.cycleId }, "plan not posted for approval");
        }
      }
      for (const m of await openSlackPlanMessages(db)) {
        try {
          await syncMessage(m);
          n++;
        } catch (err) {
          log.warn({ err, cycleId: m.cycleId }, "plan message not brought up to date");
        }
      }
      return n;
    })().finally(() => (syncing = undefined));
    return syncing;
  }

  // --- plain language: slash command, mentions, direct messages --------------------------------

  app.command("/pulse", async ({ command, ack, respond }) => {
    await ack({ response_type: "ephemeral", text: "On it…" });
    await track(
      (async () => {
        const c = slashCommandSchema.parse(command);
        const text = await ask(c.user_id, c.text, `slack:${c.channel_id}:${c.user_id}`, "slash_command");
        await respond({ response_type: "ephemeral", text });
      })(),
    );
  });

  app.event("app_mention", async ({ event, context }) => {
    await track(
      (async () => {
        const e = messageEventSchema.parse(event);
        const text = (context.botUserId ? e.text.replaceAll(`<@${context.botUserId}>`, "") : e.text).trim();
        const thread = e.thread_ts ?? e.ts;
        const answer = await ask(e.user, text, `slack:${e.channel}:${thread}`, "app_mention");
        await client.chat.postMessage({ channel: e.channel, thread_ts: thread, text: answer });
      })(),
    );
  });

  app.message(async ({ message }) => {
    // Direct messages from people only: not edits, joins or bots (Bolt already drops Pulse's own).
    if (message.channel_type !== "im" || message.subtype !== undefined) return;
    await track(
      (async () => {
        const e = messageEventSchema.parse(message);
        const answer = await ask(e.user, e.text, `slack:${e.channel}:${e.thread_ts ?? "dm"}`, "direct_message");
        await client.chat.postMessage({ channel: e.channel, ...(e.thread_ts ? { thread_ts: e.thread_ts } : {}), text: answer });
      })(),
    );
  });

  // --- the plan's buttons and the reject modal --------------------------------------------------

  /** The decider for a button press, or why not (told to them, audited). */
  async function decider(userId: string, source: Source, ref: PlanRef, tell: (text: string) => Promise<unknown>): Promise<Actor | null> {
    const actor = slackActor(userId, roles);
    const text = `${source === "approve_button" ? "approve" : "reject"} ${ref.cycleId}`;
    if (!actor) {
      await record(userId, null, source, text, {
        outcome: "refused",
        reason: "unknown Slack user: no role in PULSE_SLACK_ROLES",
        cycleId: ref.cycleId,
      });
      await tell(unknownUserText(userId));
      return null;
    }
    if (!can(actor.role, "decide")) {
      await record(userId, actor, source, text, {
        outcome: "refused",
        reason: `role ${actor.role} may not decide on plans`,
        cycleId: ref.cycleId,
      });
      await tell(`Only an approver can approve or reject a plan; your Pulse role is ${actor.role}.`);
      return null;
    }
    return actor;
  }

  /** Records a decision through the cycle service and updates the plan's message; a refusal is told and audited. */
  async function decide(
    actor: Actor,
    source: Source,
    ref: PlanRef,
    answer: { decision: "approved" | "rejected"; reason?: string },
    tell: (text: string) => Promise<unknown>,
  ): Promise<void> {
    const text = `${answer.decision === "approved" ? "approve" : "reject"} ${ref.cycleId}${answer.reason ? ` because ${answer.reason}` : ""}`;
    try {
      const current = await service.get(ref.cycleId);
      if (current.waiting?.kind !== "approval" || current.waiting.approvalId !== ref.approvalId)
        throw new PulseError(
          "PLAN_NOT_WAITING",
          `the plan of ${ref.cycleId} is no longer waiting for a decision (status ${current.state.status})`,
        );
      await service.decide(ref.cycleId, { decision: answer.decision, by: actor.id, ...(answer.reason ? { reason: answer.reason } : {}) });
      await record(actor.id, actor, source, text, { intent: answer.decision === "approved" ? "approve" : "reject", cycleId: ref.cycleId });
    } catch (err) {
      const refused = err instanceof PulseError;
      await record(actor.id, actor, source, text, {
        outcome: refused ? "refused" : "failed",
        reason: (err as Error).message.slice(0, 1000),
        cycleId: ref.cycleId,
      });
      const why = escapeMrkdwn((err as Error).message);
      await tell(refused ? `Not ${answer.decision}: ${why}` : `Sorry, that did not work: ${why}`);
    }
    await updatePlanMessage(ref.cycleId);
  }

  const ephemeral = (respond: RespondFn) => (text: string) => respond({ response_type: "ephemeral", replace_original: false, text });

  app.action(APPROVE_ACTION, async ({ ack, body, respond }) => {
    await ack();
    await track(
      (async () => {
        const p = planButtonPayloadSchema.parse(body);
        const ref = p.actions[0]!.value;
        const actor = await decider(p.user.id, "approve_button", ref, ephemeral(respond));
        if (actor) await decide(actor, "approve_button", ref, { decision: "approved" }, ephemeral(respond));
      })(),
    );
  });

  app.action(REJECT_ACTION, async ({ ack, body, respond }) => {
    await ack();
    await track(
      (async () => {
        const p = planButtonPayloadSchema.parse(body);
        const ref = p.actions[0]!.value;
        const tell = ephemeral(respond);
        const actor = await decider(p.user.id, "reject_button", ref, tell);
        if (!actor) return;
        // The requester is told now rather than after typing a reason (the rule is the cycle's own).
        try {
          checkDecision((await service.get(ref.cycleId)).state, { decision: "rejected", by: actor.id, reason: "(asked in the modal)" });
        } catch (err) {
          await record(p.user.id, actor, "reject_button", `reject ${ref.cycleId}`, {
            outcome: "refused",
            reason: (err as Error).message,
            cycleId: ref.cycleId,
          });
          await tell(`Not rejected: ${escapeMrkdwn((err as Error).message)}`);
          return;
        }
        const channel = p.container?.channel_id ?? p.channel?.id;
        const ts = p.container?.message_ts ?? p.message?.ts;
        if (!channel || !ts) throw new PulseError("SLACK_PAYLOAD", "reject button payload names no message");
        await client.views.open({ trigger_id: p.trigger_id, view: rejectModal({ ...ref, channel, ts }) });
      })(),
    );
  });

  app.view(REJECT_MODAL, async ({ ack, body }) => {
    const parsed = rejectSubmissionSchema.safeParse(body);
    const reason = parsed.success ? (parsed.data.view.state.values[REJECT_REASON][REJECT_REASON].value ?? "").trim() : "";
    if (!parsed.success || reason.length < 3) {
      await ack({ response_action: "errors", errors: { [REJECT_REASON]: "Say why the plan is rejected (a few words at least)." } });
      return;
    }
    await ack();
    await track(
      (async () => {
        const { user, view } = parsed.data;
        const meta = view.private_metadata;
        const tell = (text: string) => client.chat.postEphemeral({ channel: meta.channel, user: user.id, text });
        const ref = { cycleId: meta.cycleId, approvalId: meta.approvalId };
        const actor = await decider(user.id, "reject_modal", ref, tell);
        if (actor) await decide(actor, "reject_modal", ref, { decision: "rejected", reason }, tell);
      })(),
    );
  });

  app.error(async (err) => {
    log.error({ err }, "slack listener failed");
  });

  // Slack retries an event it thinks was not acknowledged; the first delivery is already being handled.
  const seenEvents = new Set<string>();
  app.use(async ({ body, next }) => {
    const eventId = (body as { event_id?: unknown }).event_id;
    if (typeof eventId === "string") {
      if (seenEvents.has(eventId)) return;
      seenEvents.add(eventId);
      if (seenEvents.size > 10_000) seenEvents.delete(seenEvents.values().next().value!);
    }
    await next();
  });

  const timer =
    deps.syncTimer === false
      ? undefined
      : setInterval(() => void syncOpenPlans().catch((err: unknown) => log.warn({ err }, "plan sync failed")), config.PULSE_SLACK_SYNC_MS);
  timer?.unref();

  let started = false;
  return {
    mode,
    socketModeClient: socket?.client,
    async start() {
      if (!socket || started) return;
      await app.start();
      started = true;
      log.info({ mode }, "slack connected over socket mode");
    },
    requestListener(req, res) {
      const path = new URL(req.url ?? "/", "http://localhost").pathname;
      if (mode === "socket") {
        req.resume();
        refuse(res, 404);
        return;
      }
      if (path !== SLACK_EVENTS_PATH || req.method !== "POST") {
        req.resume();
        refuse(res, path === SLACK_EVENTS_PATH ? 405 : 404);
        return;
      }
      void (async () => {
        // Slack signs with the wall clock, so freshness is checked against it (not a cycle's clock).
        const verdict = await verifyRequest(req, signingSecret, Date.now());
        if (!verdict.ok) {
          log.warn({ status: verdict.status, reason: verdict.reason }, "slack request refused");
          req.resume();
          refuse(res, verdict.status);
          return;
        }
        (receiver as HTTPReceiver).requestListener(req, res);
      })().catch((err: unknown) => {
        log.error({ err }, "slack request failed");
        if (!res.headersSent) refuse(res, 500);
      });
    },
    postPendingPlan,
    updatePlanMessage,
    postLift,
    syncOpenPlans,
    async idle() {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
    },
    async close() {
      if (timer) clearInterval(timer);
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      await syncing;
      if (started) await app.stop();
    },
  };
}

function required(value: string | undefined, variable: string): string {
  if (!value) throw new ConfigError(variable, "required to serve the Slack app");
  return value;
}
