import { once } from "node:events";
import type { Command } from "commander";
import { z } from "zod";
import { InputError } from "../../../core/errors.js";
import { createLogger } from "../../../core/logger.js";
import { createHttpServer } from "../../http/server.js";
import { withDb } from "../context.js";
import { openCycleContext } from "../cycle-context.js";
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
          const http = await createHttpServer({ db, config, cycles, logger });
          try {
            const url = await http.listen(parsed.data.port ?? config.PULSE_HTTP_PORT, parsed.data.host ?? config.PULSE_HTTP_HOST);
            process.stdout.write(`pulse serve: listening on ${url} (dashboard ${url}/, API ${url}/api/openapi.json)\n`);
            await Promise.race([once(process, "SIGTERM"), once(process, "SIGINT")]);
            process.stdout.write("pulse serve: closing\n");
          } finally {
            await http.close();
            await cycles.close();
          }
        });
      }),
    );
}
