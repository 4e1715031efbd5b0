import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ChatAgent, ChatReply, ChatRequest } from "../../agents/chat/contract.js";
import { FileOutboxConnector } from "../../connectors/file-outbox.js";
import { ManualClock } from "../../core/clock.js";
import { createLogger } from "../../core/logger.js";
import { can } from "../../core/roles.js";
import type { InterfaceRequestEntry } from "../../guardrails/audit-entries.js";
import { verifyAuditLog } from "../../guardrails/audit-verify.js";
import { messageCounts } from "../../store/messages-repo.js";
import { getSlackPlanMessage } from "../../store/slack-messages-repo.js";
import type { CycleService } from "../../workflows/cycle/service.js";
import type { InProcessRunner } from "../../workflows/jobs/in-process-runner.js";
import { DEMO_SETTINGS, setDemoPolicy } from "../../workflows/demo.js";
import { createCycleRuntime, type CycleRuntime } from "../../workflows/runtime.js";
import { auditEntries, testConfig } from "../../workflows/cycle/testing/cycle-test-kit.js";
import { useSimulatedWorld } from "../../workflows/cycle/testing/world-fixture.js";
import { pendingPlanOf } from "../../agents/chat/pending-plan.js";
import { APPROVE_ACTION, planRefSchema, REJECT_ACTION, REJECT_MODAL, REJECT_REASON, type PlanRef } from "./payloads.js";
import { createSlackApp, type SlackApp } from "./slack-app.js";
import { formBody, payloadBody, postToSlackApp } from "./testing/signed-request.js";
import { startSlackStandIn, TEAM_ID, type RecordedCall, type StandIn } from "./testing/slack-stand-in.js";
import { serveSlackApp } from "./testing/slack-test-server.js";

/**
 * Plans waiting for approval through Slack, on a real cycle on PostgreSQL and on the embedded database: posted as Block Kit,
 * approved or rejected with the buttons and the modal by the right people only, the message kept up
 * to date through expiry, sends and the lift readout.
 */

const SECRET = "approval-test-signing-secret";
const CHANNEL = "CAPPROVALS";
/** Every plan needs a person: any audience is above this policy's auto-approval limit. */
const HUMAN_SETTINGS = { approvalPolicy: { maxAutoAudience: 0 } };

/**
 * A minimal stand-in for the chat agent (the real one is built separately): "plan ..." starts a
 * cycle as the asker and returns its pending plan; "show plan <cycle>" reads it; "approve <cycle>"
 * decides it through the cycle service. It checks roles as the real agent must.
 */
function cycleAgent(service: CycleService): ChatAgent {
  return {
    async handle({ text, actor }: ChatRequest): Promise<ChatReply> {
      if (/^plan\b/i.test(text)) {
        if (!can(actor.role, "start_cycle"))
          return { intent: "plan_campaign", params: {}, text: `a ${actor.role} cannot start cycles`, understoodBy: "offline" };
        const started = await service.start({ requestedBy: actor.id, settings: HUMAN_SETTINGS });
        const plan = pendingPlanOf(started.state, started.waiting);
        return {
          intent: "plan_campaign",
          params: {},
          text: `cycle ${started.cycleId}: ${started.state.status}`,
          ...(plan ? { pendingPlan: plan } : {}),
          understoodBy: "offline",
        };
      }
      const show = /^show plan (c-[\w-]+)/i.exec(text);
      if (show) {
        const r = await service.get(show[1]!);
        const plan = pendingPlanOf(r.state, r.waiting);
        return {
          intent: "show_plan",
          params: { cycle: show[1] },
          text: r.state.status,
          ...(plan ? { pendingPlan: plan } : {}),
          understoodBy: "offline",
        };
      }
      const approve = /^approve (c-[\w-]+)/i.exec(text);
      if (approve) {
        const params = { cycle: approve[1] };
        if (!can(actor.role, "decide"))
          return { intent: "approve", params, text: `a ${actor.role} cannot approve`, understoodBy: "offline" };
        const r = await service.decide(approve[1]!, { decision: "approved", by: actor.id });
        return { intent: "approve", params, text: `${approve[1]}: ${r.state.status}`, understoodBy: "offline" };
      }
      return { intent: "unknown", params: {}, text: "?", understoodBy: "offline" };
    },
    async close() {},
  };
}

for (const backend of ["postgres", "pglite"] as const) {
  describe(`approving and rejecting plans in Slack, on a real cycle (${backend})`, () => {
    const world = useSimulatedWorld({ customers: 400, seed: 31, backend });
    let clock: ManualClock;
    let runtime: CycleRuntime;
    let service: CycleService;
    let inner: InProcessRunner;
    let standIn: StandIn;
    let slack: SlackApp;
    let server: { url: string; close(): Promise<void> };
    let events: string;
    let n = 0;

    beforeAll(async () => {
      clock = new ManualClock(world.sim.asOf);
      runtime = await createCycleRuntime(testConfig(), {
        db: world.db,
        runner: "in-process",
        inProcess: { sleep: async () => {} },
        clock,
        connector: new FileOutboxConnector({ path: path.join(world.outDir, "outbox.jsonl") }),
      });
      service = runtime.service;
      inner = runtime.inProcess!;
      standIn = await startSlackStandIn();
      slack = await createSlackApp({
        config: {
          SLACK_SIGNING_SECRET: SECRET,
          SLACK_BOT_TOKEN: "xoxb-approval-test",
          PULSE_SLACK_APPROVALS_CHANNEL: CHANNEL,
          PULSE_SLACK_API_URL: standIn.apiUrl,
          PULSE_SLACK_ROLES: { UMKT: "marketer", UAPP: "approver", UADM: "admin", UCOMP: "compliance" },
          PULSE_SLACK_SYNC_MS: 30_000,
        },
        agent: cycleAgent(service),
        service,
        db: world.db,
        audit: runtime.deps.audit,
        logger: createLogger("silent"),
        clock,
        clientOptions: { retryConfig: { retries: 0 } },
        syncTimer: false,
      });
      server = await serveSlackApp(slack);
      events = `${server.url}/slack/events`;
    }, 60_000);
    afterAll(async () => {
      await server?.close();
      await slack?.close();
      await runtime?.close();
      await standIn?.close();
    });

    const post = (body: string) => postToSlackApp(events, body, { secret: SECRET });
    const slash = (user: string, text: string) => {
      const id = `r${++n}`;
      return {
        id,
        body: formBody({
          team_id: TEAM_ID,
          channel_id: "CMARKETING",
          user_id: user,
          command: "/pulse",
          text,
          response_url: standIn.responseUrl(id),
        }),
      };
    };

    /** The marketer asks for a plan in plain language; returns the plan message Slack got and its buttons' plan. */
    async function planRequestedBy(user: string): Promise<{ message: RecordedCall; ref: PlanRef; ts: string; answerText: string }> {
      const before = standIn.callsOf("chat.postMessage").length;
      const request = slash(user, "plan: win back lapsed grocery shoppers, at most 15% off");
      const res = await post(request.body);
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(3_000);
      const [answer] = await standIn.waitFor(`response:${request.id}`, 1, 120_000);
      const message = (await standIn.waitFor("chat.postMessage", before + 1))[before]!;
      expect(message.args.channel).toBe(CHANNEL);
      const blocks = message.args.blocks as Array<{ type: string; elements?: Array<{ action_id: string; value: string }> }>;
      const buttons = blocks.find((b) => b.type === "actions")!.elements!;
      expect(buttons.map((b) => b.action_id)).toEqual([APPROVE_ACTION, REJECT_ACTION]);
      const ref = planRefSchema.parse(JSON.parse(buttons[0]!.value));
      const record = await getSlackPlanMessage(world.db, ref.approvalId);
      return { message, ref, ts: record!.ts, answerText: String(answer!.args.text) };
    }

    const button = (user: string, action: string, ref: PlanRef, ts: string, responseId: string) =>
      payloadBody({
        type: "block_actions",
        team: { id: TEAM_ID },
        user: { id: user },
        api_app_id: "APULSE",
        trigger_id: `trigger-${responseId}`,
        container: { type: "message", message_ts: ts, channel_id: CHANNEL },
        channel: { id: CHANNEL },
        message: { ts, type: "message" },
        response_url: standIn.responseUrl(responseId),
        actions: [{ type: "button", action_id: action, block_id: "pulse_decision", value: JSON.stringify(ref), action_ts: "1" }],
      });

    const rejectSubmission = (user: string, privateMetadata: string, reason: string) =>
      payloadBody({
        type: "view_submission",
        team: { id: TEAM_ID },
        user: { id: user },
        api_app_id: "APULSE",
        view: {
          id: "VREJECT",
          type: "modal",
          callback_id: REJECT_MODAL,
          private_metadata: privateMetadata,
          state: { values: { [REJECT_REASON]: { [REJECT_REASON]: { type: "plain_text_input", value: reason } } } },
        },
      });

    const slackEntries = async (cycleId: string) =>
      (await auditEntries(world.db, cycleId, ["interface_request"])).map((e) => ({
        actor: e.actor,
        ...(e.entry as InterfaceRequestEntry),
      }));
    const updatesOf = (ts: string) => standIn.callsOf("chat.update").filter((c) => c.args.ts === ts);
    const contextText = (call: RecordedCall) => JSON.stringify(call.args.blocks);

    it("a plan is posted with its numbers; the requester cannot decide it; an approver rejects it through the modal", async () => {
      const { message, ref, ts, answerText } = await planRequestedBy("UADM");
      expect(answerText).toContain(`posted in <#${CHANNEL}>`);
      const { state, waiting } = await service.get(ref.cycleId);
      expect(state.status).toBe("awaiting_approval");
      expect(waiting).toMatchObject({ kind: "approval", approvalId: ref.approvalId });
      // The message carries the plan's own numbers and flags.
      const contacted = state.plan!.segments.filter((s) => s.channel !== null && s.contacts > 0);
      expect(contacted.length).toBeGreaterThan(0);
      const text = JSON.stringify(message.args.blocks);
      for (const s of contacted) {
        expect(text).toContain(`*Contacts*\\n${s.contacts.toLocaleString("en-US")}`);
        expect(text).toContain(s.strategy);
      }
      expect(text).toContain("audience_above_limit");
      expect(text).toContain("<@UADM>");

      // The requester (an admin, who may decide others' plans) cannot decide their own: told, audited, nothing opened.
      await post(button("UADM", REJECT_ACTION, ref, ts, "own-reject"));
      const [own] = await standIn.waitFor("response:own-reject");
      expect(String(own!.args.text)).toMatch(/^Not rejected: slack:UADM requested this plan/);
      await post(button("UADM", APPROVE_ACTION, ref, ts, "own-approve"));
      const [ownApprove] = await standIn.waitFor("response:own-approve");
      expect(String(ownApprove!.args.text)).toMatch(/^Not approved: slack:UADM requested this plan/);
      expect(standIn.callsOf("views.open")).toHaveLength(0);

      // A marketer may not decide at all; an unknown user is refused politely.
      await post(button("UMKT", APPROVE_ACTION, ref, ts, "mkt"));
      expect(String((await standIn.waitFor("response:mkt"))[0]!.args.text)).toBe(
        "Only an approver can approve or reject a plan; your Pulse role is marketer.",
      );
      await post(button("UNOBODY", APPROVE_ACTION, ref, ts, "nobody"));
      expect(String((await standIn.waitFor("response:nobody"))[0]!.args.text)).toMatch(/^Sorry, I can't help you yet/);
      await slack.idle();
      expect((await service.get(ref.cycleId)).waiting?.kind).toBe("approval");

      // The approver presses Reject: a modal asks why.
      const res = await post(button("UAPP", REJECT_ACTION, ref, ts, "app-reject"));
      expect(res.status).toBe(200);
      const [opened] = await standIn.waitFor("views.open");
      expect(opened!.args.trigger_id).toBe("trigger-app-reject");
      const view = opened!.args.view as { callback_id: string; private_metadata: string };
      expect(view.callback_id).toBe(REJECT_MODAL);

      // Without a reason the modal shows an error and nothing is decided.
      const empty = await post(rejectSubmission("UAPP", view.private_metadata, "  "));
      expect(empty.status).toBe(200);
      expect(JSON.parse(empty.body)).toMatchObject({ response_action: "errors", errors: { [REJECT_REASON]: expect.any(String) } });
      await slack.idle();
      expect((await service.get(ref.cycleId)).waiting?.kind).toBe("approval");

      // With one, the plan is rejected as the approver. Slack fails the first update of the message:
      // it stays on record as showing the plan waiting, and the next sync updates it.
      standIn.failNext("chat.update", "internal_error");
      const submitted = await post(rejectSubmission("UAPP", view.private_metadata, "15% is too deep for this segment"));
      expect(submitted.status).toBe(200);
      expect(submitted.body).toBe("");
      await standIn.waitFor("chat.update");
      await slack.idle();
      expect((await getSlackPlanMessage(world.db, ref.approvalId))?.shown).toBe("waiting");
      await slack.syncOpenPlans();
      const [, update] = await standIn.waitFor("chat.update", 2);
      expect((await getSlackPlanMessage(world.db, ref.approvalId))?.shown).toBe("rejected");
      expect(update!.args).toMatchObject({ channel: CHANNEL, ts });
      expect(contextText(update!)).toContain("Rejected by <@UAPP>: 15% is too deep for this segment");
      expect(contextText(update!)).not.toContain(APPROVE_ACTION);
      const after = await service.get(ref.cycleId);
      expect(after.state.status).toBe("rejected");
      expect(after.state.approval).toMatchObject({ decision: "rejected", by: "slack:UAPP", reason: "15% is too deep for this segment" });
      expect(await messageCounts(world.db, ref.cycleId)).toEqual([]);

      // The audit log has the requests and the decision, each with the Slack user who made it.
      const approvals = await auditEntries(world.db, ref.cycleId, ["approval"]);
      expect(approvals.map((a) => [a.entry.event, a.actor])).toEqual([
        ["requested", "slack:UADM"],
        ["rejected", "slack:UAPP"],
      ]);
      const asked = await slackEntries(ref.cycleId);
      expect(asked.map((e) => [e.actor, e.source, e.outcome])).toEqual([
        ["slack:UADM", "reject_button", "refused"],
        ["slack:UADM", "approve_button", "refused"],
        ["slack:UMKT", "approve_button", "refused"],
        ["slack:UNOBODY", "approve_button", "refused"],
        ["slack:UAPP", "reject_modal", "answered"],
      ]);
      expect(asked.find((e) => e.actor === "slack:UNOBODY")).toMatchObject({ role: null });
    }, 180_000);

    it("a plan started outside Slack is posted by the sync; nobody decides it, it expires: the message says so, a late approval is refused", async () => {
      // Started as the CLI or the scheduler would: no Slack request behind it.
      const started = await service.start({ requestedBy: "cli:ann", settings: HUMAN_SETTINGS });
      expect(started.waiting?.kind).toBe("approval");
      const posts = standIn.callsOf("chat.postMessage").length;
      await slack.syncOpenPlans();
      const posted = standIn.callsOf("chat.postMessage").slice(posts);
      expect(posted).toHaveLength(1);
      expect(posted[0]!.args.channel).toBe(CHANNEL);
      expect(JSON.stringify(posted[0]!.args.blocks)).toContain(started.cycleId);
      expect(JSON.stringify(posted[0]!.args.blocks)).toContain("Requested by cli:ann");
      const record = (await getSlackPlanMessage(world.db, (started.waiting as { approvalId: string }).approvalId))!;
      const ref = { cycleId: started.cycleId, approvalId: record.approvalId };
      const ts = record.ts;
      // Posted once: the next sync finds it on record.
      await slack.syncOpenPlans();
      expect(standIn.callsOf("chat.postMessage").length).toBe(posts + 1);

      const { state } = started;
      clock.set(new Date(state.review!.expiresAt).getTime() + 60_000);
      expect(await service.settleApprovals()).toContain(ref.cycleId);
      expect(await slack.syncOpenPlans()).toBeGreaterThan(0);
      const [expired] = updatesOf(ts);
      expect(contextText(expired!)).toContain("expired");
      expect((await service.get(ref.cycleId)).state.status).toBe("rejected");
      // Synced again, nothing changes in Slack.
      await slack.syncOpenPlans();
      expect(updatesOf(ts)).toHaveLength(1);

      await post(button("UAPP", APPROVE_ACTION, ref, ts, "late"));
      const [late] = await standIn.waitFor("response:late");
      expect(String(late!.args.text)).toMatch(/^Not approved: the plan of c-[\w-]+ is no longer waiting/);
      await slack.idle();
      expect((await service.get(ref.cycleId)).state.approval?.by).toBe("system:approval-expiry");
    }, 180_000);

    it("an approver approves with the button: the cycle resumes, sends, is measured, and the message follows with the lift readout", async () => {
      const { ref, ts } = await planRequestedBy("UMKT");
      // Showing the plan again does not post it twice.
      const before = standIn.callsOf("chat.postMessage").length;
      const show = slash("UMKT", `show plan ${ref.cycleId}`);
      await post(show.body);
      await standIn.waitFor(`response:${show.id}`);
      await slack.idle();
      expect(standIn.callsOf("chat.postMessage")).toHaveLength(before);

      const res = await post(button("UAPP", APPROVE_ACTION, ref, ts, "approve"));
      expect(res.status).toBe(200);
      expect(res.ms).toBeLessThan(3_000);
      await slack.idle();
      const decided = await service.get(ref.cycleId);
      expect(decided.state.status).toBe("activated");
      expect(decided.state.approval).toMatchObject({ decision: "approved", by: "slack:UAPP" });
      const [approvedUpdate] = updatesOf(ts);
      expect(contextText(approvedUpdate!)).toContain("Approved by <@UAPP>");
      expect(contextText(approvedUpdate!)).not.toContain(APPROVE_ACTION);

      // Sends go out at each customer's local hour; then the message says how many were sent.
      clock.advanceDays(2);
      await inner.drain();
      const counts = await messageCounts(world.db, ref.cycleId);
      const sent = counts.filter((c) => c.status === "sent").reduce((a, c) => a + c.n, 0);
      expect(sent).toBeGreaterThan(0);
      expect(counts.some((c) => c.status === "queued")).toBe(false);
      await slack.updatePlanMessage(ref.cycleId);
      const sentUpdate = updatesOf(ts).at(-1)!;
      expect(contextText(sentUpdate)).toContain(`Sent ${sent.toLocaleString("en-US")}`);

      // The attribution window closes: measured, the message says so and the readout goes in its thread, once.
      clock.set(new Date(decided.state.activation!.measureAt).getTime() + 1000);
      await inner.drain();
      const measured = await service.get(ref.cycleId);
      expect(measured.state.measurement).toBeDefined();
      const posts = standIn.callsOf("chat.postMessage").length;
      await slack.syncOpenPlans();
      const lift = standIn.callsOf("chat.postMessage").slice(posts);
      expect(lift).toHaveLength(1);
      expect(lift[0]!.args).toMatchObject({ channel: CHANNEL, thread_ts: ts });
      expect(JSON.stringify(lift[0]!.args.blocks)).toContain(
        measured.state.measurement!.headline.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;"),
      );
      expect(contextText(updatesOf(ts).at(-1)!)).toContain("sent and measured");
      await slack.syncOpenPlans();
      expect(standIn.callsOf("chat.postMessage").length).toBe(posts + 1);
      expect((await getSlackPlanMessage(world.db, ref.approvalId))?.liftTs).toMatch(/^1700000000\.\d{6}$/);

      const approvals = await auditEntries(world.db, ref.cycleId, ["approval"]);
      expect(approvals.map((a) => [a.entry.event, a.actor])).toEqual([
        ["requested", "slack:UMKT"],
        ["approved", "slack:UAPP"],
      ]);
      // Text requests are the agent's to audit; the button press is Slack's own record.
      expect((await slackEntries(ref.cycleId)).map((e) => [e.actor, e.source, e.intent, e.outcome])).toEqual([
        ["slack:UAPP", "approve_button", "approve", "answered"],
      ]);
      expect(await verifyAuditLog(world.db)).toMatchObject({ ok: true });
    }, 240_000);

    it("an auto-approved cycle has no plan message; its lift readout is posted on its own, once", async () => {
      // Plans go out without a person only because the admin's policy (the demo's) says so; a brief cannot loosen it.
      await setDemoPolicy(world.db, clock);
      const started = await service.start({ requestedBy: "scheduler", settings: DEMO_SETTINGS });
      expect(started.state.review?.autoApproved).toBe(true);
      expect(await slack.postLift(started.cycleId)).toBe(false);
      clock.advanceDays(2);
      await runtime.drain();
      clock.set(new Date(started.state.activation!.measureAt).getTime() + 1000);
      await runtime.drain();
      const { state } = await service.get(started.cycleId);
      expect(state.measurement).toBeDefined();
      const posts = standIn.callsOf("chat.postMessage").length;
      expect(await slack.postLift(started.cycleId)).toBe(true);
      const [lift] = standIn.callsOf("chat.postMessage").slice(posts);
      expect(lift!.args.channel).toBe(CHANNEL);
      expect(lift!.args.thread_ts).toBeUndefined();
      expect(String(lift!.args.text)).toBe(`Lift readout for ${started.cycleId}: ${state.measurement!.headline}`);
      expect(await slack.postLift(started.cycleId)).toBe(true);
      await slack.syncOpenPlans();
      expect(standIn.callsOf("chat.postMessage").length).toBe(posts + 1);
    }, 180_000);

    it("an approver approves in words through the agent: the plan's message shows it at once", async () => {
      const started = await service.start({ requestedBy: "slack:UMKT", settings: HUMAN_SETTINGS });
      await slack.syncOpenPlans();
      const record = (await getSlackPlanMessage(world.db, (started.waiting as { approvalId: string }).approvalId))!;
      const request = slash("UAPP", `approve ${started.cycleId}`);
      const res = await post(request.body);
      expect(res.ms).toBeLessThan(3_000);
      const [answer] = await standIn.waitFor(`response:${request.id}`, 1, 120_000);
      expect(answer!.args.text).toBe(`${started.cycleId}: activated`);
      await slack.idle();
      const [update] = updatesOf(record.ts);
      expect(contextText(update!)).toContain("Approved by <@UAPP>");
      // Asked in words: the agent's record, not a second one from Slack.
      expect(await slackEntries(started.cycleId)).toEqual([]);
    }, 180_000);

    it("with its timer on, the app posts a plan started elsewhere without being asked", async () => {
      const timed = await createSlackApp({
        config: {
          SLACK_SIGNING_SECRET: SECRET,
          SLACK_BOT_TOKEN: "xoxb-approval-test",
          PULSE_SLACK_APPROVALS_CHANNEL: "CTIMED",
          PULSE_SLACK_API_URL: standIn.apiUrl,
          PULSE_SLACK_ROLES: {},
          PULSE_SLACK_SYNC_MS: 1_000,
        },
        agent: cycleAgent(service),
        service,
        db: world.db,
        audit: runtime.deps.audit,
        logger: createLogger("silent"),
        clock,
        clientOptions: { retryConfig: { retries: 0 } },
      });
      try {
        const before = standIn.callsOf("chat.postMessage").length;
        const started = await service.start({ requestedBy: "scheduler", settings: HUMAN_SETTINGS });
        const calls = await standIn.waitFor("chat.postMessage", before + 1, 30_000);
        expect(calls[before]!.args.channel).toBe("CTIMED");
        expect(JSON.stringify(calls[before]!.args.blocks)).toContain(started.cycleId);
      } finally {
        await timed.close();
      }
    }, 180_000);
  });
}
