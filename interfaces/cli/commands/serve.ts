import { once } from "node:events";
import type { Command } from "commander";
import { z } from "zod";
import { InputError } from "../../../core/errors.js";
import { createLogger } from "../../../core/logger.js";
import { createHttpServer } from "../../http/server.js";
import { withDb } from "../context.js";
import { openCycleContext, type CycleContext } from "../cycle-context.js";
import { openChatAgent } from "../chat-agent.js";
import { createSlackApp, SLACK_EVENTS_PATH, slackMode } from "../../slack/index.js";
import type { Config } from "../../../core/config.js";
import type { Logger } from "../../../core/logger.js";
import type { Db } from "../../../store/db.js";
import { runAction } from "../run-action.js";

const optionsSchema = z.object({
  port: z.coerce.number().int().min(0).max(65_535).optional(),
  host: z.string().min(1).optional(),
});

export function registerServeCommand(program: Command): void {
  program
    .command("serve")
    .description(
      "Serve the HTTP API (/api/*, bearer tokens: pulse token create) and the dashboard (/) until SIGTERM/SIGINT; /health and /ready for probes",
    )
    .option("--port <port>", "TCP port (default PULSE_HTTP_PORT, 8080)")
    .option("--host <host>", "interface to listen on (default PULSE_HTTP_HOST, 127.0.0.1)")
    .addHelpText("after", "\nOpenAPI document: GET /api/openapi.json (with a token). Sign in to the dashboard with a token.")
    .action(
      runAction(async (raw: unknown) => {
        const parsed = optionsSchema.safeParse(raw);
        if (!parsed.success) throw new InputError(`--port: ${parsed.error.issues[0]!.message}`);
        await withDb(async (db, config) => {
          const logger = createLogger(config.PULSE_LOG_LEVEL, { component: "http" });
          const cycles = await openCycleContext(db, config);
          // Slack, when configured: over socket mode (SLACK_APP_TOKEN), else on the same port at /slack/events;
          // its text requests go to the chat agent.
          const slack = slackMode(config) ? await openSlack(db, config, cycles, logger) : undefined;
          const http = await createHttpServer({
            db,
            config,
            cycles,
            logger,
            ...(slack?.app.mode === "http" ? { mounts: [{ prefix: "/slack/", listener: slack.app.requestListener }] } : {}),
          });
          try {
            const url = await http.listen(parsed.data.port ?? config.PULSE_HTTP_PORT, parsed.data.host ?? config.PULSE_HTTP_HOST);
            process.stdout.write(`pulse serve: listening on ${url} (dashboard ${url}/, API ${url}/api/openapi.json)\n`);
            if (slack?.app.mode === "http") process.stdout.write(`pulse serve: Slack events at ${url}${SLACK_EVENTS_PATH}\n`);
            if (slack?.app.mode === "socket") {
              await slack.app.start();
              process.stdout.write("pulse serve: Slack connected over socket mode\n");
            }
            await Promise.race([once(process, "SIGTERM"), once(process, "SIGINT")]);
            process.stdout.write("pulse serve: closing\n");
          } finally {
            await http.close();
            await slack?.close();
            await cycles.close();
          }
        });
      }),
    );
}

/** The Slack app over the chat agent, sharing the server's cycle runtime (the agent does not close it). */
async function openSlack(db: Db, config: Config, cycles: CycleContext, logger: Logger) {
  const agent = await openChatAgent(db, config, async () => ({
    service: cycles.service,
    drain: () => cycles.drain(),
    close: async () => {},
  }));
  const app = await createSlackApp({ config, agent, service: cycles.service, db, audit: cycles.deps.audit, logger });
  return {
    app,
    async close() {
      await app.close();
      await agent.close();
    },
  };
}
