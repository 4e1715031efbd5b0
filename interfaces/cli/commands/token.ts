import { Option, type Command } from "commander";
import { ROLES, type Role } from "../../../core/roles.js";
import { createAuditLog } from "../../../guardrails/audit.js";
import { createApiToken, listTokens, revokeApiToken } from "../../http/tokens.js";
import type { Config } from "../../../core/config.js";
import { cliActor, requireCan } from "../cli-actor.js";
import { withDb } from "../context.js";
import { printResult, runAction } from "../run-action.js";

/** Tokens grant access: only an admin (PULSE_CLI_ROLES, or the owner of the data directory) manages them; the audit records who. */
const admin = (config: Config, what: string) => requireCan(cliActor(config), "admin", `only an admin ${what}`).id;

export function registerTokenCommands(program: Command): void {
  const token = program
    .command("token")
    .description("Bearer tokens for the HTTP API and the dashboard (pulse serve): create, list, revoke");

  token
    .command("create")
    .description("Create a token and print it once (only its SHA-256 is stored); its holder acts as token:<name>")
    .addOption(new Option("--role <role>", "what the holder may do (core/roles.ts)").choices(ROLES).makeOptionMandatory())
    .requiredOption("--name <name>", "who holds it: 1-64 letters, digits or . _ @ - (one live token per name)")
    .option("--json", "print as JSON")
    .action(
      runAction(async (opts: { role: Role; name: string; json?: boolean }) => {
        await withDb(async (db, config) => {
          const by = admin(config, "creates tokens");
          const created = await createApiToken(db, createAuditLog(db), { name: opts.name, role: opts.role }, by);
          printResult(
            created,
            opts.json,
            (c) =>
              `${c.token}\n(token ${c.tokenId} for ${c.name}, role ${c.role}: shown once, keep it; send it as "Authorization: Bearer <token>")`,
          );
        });
      }),
    );

  token
    .command("list")
    .description("Live tokens (never their secrets)")
    .option("--all", "include revoked tokens")
    .option("--json", "print as JSON")
    .action(
      runAction(async (opts: { all?: boolean; json?: boolean }) => {
        await withDb(async (db, config) => {
          admin(config, "lists tokens");
          const rows = await listTokens(db.pool, { includeRevoked: opts.all });
          printResult(rows, opts.json, (rs) =>
            rs.length
              ? rs
                  .map(
                    (r) =>
                      `${r.tokenId}  ${r.name.padEnd(20)} ${r.role.padEnd(10)} created ${r.createdAt.toISOString()} by ${r.createdBy}${r.revokedAt ? `  revoked ${r.revokedAt.toISOString()}` : ""}${r.lastUsedAt ? `  last used ${r.lastUsedAt.toISOString()}` : ""}`,
                  )
                  .join("\n")
              : "no tokens: pulse token create --role approver --name NAME",
          );
        });
      }),
    );

  token
    .command("revoke")
    .argument("<token>", "token id (tok_...) or name")
    .description("Revoke a live token: its holder gets 401 from then on")
    .action(
      runAction(async (idOrName: string) => {
        return withDb(async (db, config) => {
          const row = await revokeApiToken(db, createAuditLog(db), idOrName, admin(config, "revokes tokens"));
          if (!row) {
            process.stderr.write(`pulse: no live token with id or name "${idOrName}"\n`);
            return 1;
          }
          process.stdout.write(`revoked ${row.tokenId} (${row.name}, ${row.role})\n`);
        });
      }),
    );
}
