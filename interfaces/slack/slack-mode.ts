import type { Config } from "../../core/config.js";

/**
 * How the Slack app receives Slack's requests: over socket mode when an app-level token is
 * configured (Pulse opens the connection; nothing public to expose), else over HTTP at
 * /slack/events when a signing secret is; null when neither is set (no Slack app).
 */
export type SlackMode = "socket" | "http";

export function slackMode(config: Pick<Config, "SLACK_APP_TOKEN" | "SLACK_SIGNING_SECRET">): SlackMode | null {
  if (config.SLACK_APP_TOKEN) return "socket";
  if (config.SLACK_SIGNING_SECRET) return "http";
  return null;
}
