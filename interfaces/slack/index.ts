/** The Slack app, for `pulse serve` to mount at /slack/events. */
export { createSlackApp, SLACK_EVENTS_PATH, type SlackApp, type SlackAppDeps, type SlackConfig } from "./slack-app.js";
export { pendingPlanOf, planOf } from "../../agents/chat/pending-plan.js";
export { slackActor, slackActorId } from "./slack-actor.js";
export { slackMode, type SlackMode } from "./slack-mode.js";
