import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { InputError } from "../../../core/errors.js";
import { createAuditLog } from "../../../guardrails/audit.js";
import {
  currentGuardrailPolicy,
  guardrailPolicyHistory,
  setGuardrailPolicy,
  type PolicyInForce,
} from "../../../guardrails/guardrail-policy-store.js";
import { cliActor } from "../cli-actor.js";
import { withDb } from "../context.js";
import { printResult, runAction } from "../run-action.js";

function heading(p: PolicyInForce): string {
  return p.version === 0
    ? "guardrail policy: the built-in defaults (no admin has set one yet)"
    : `guardrail policy v${p.version}: set by ${p.changedBy} at ${p.changedAt!.toISOString()} (${p.reason})`;
}

function readPolicyFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new InputError(`--file ${file}: ${(err as Error).message}`, { cause: err });
  }
}

export function registerPolicyCommands(program: Command): void {
  const policy = program
    .command("policy")
    .description(
      "The guardrail policy set by an admin (approval tiers, discount and frequency caps, global control, quiet hours, fairness, retention); a cycle's brief can only tighten it",
    );

  policy
    .command("show")
    .description("The policy in force, whole (a file to start `pulse policy set` from: pulse policy show --json > policy.json)")
    .option("--json", "print only the policy document, as JSON")
    .action(
      runAction(async (opts: { json?: boolean }) => {
        await withDb(async (db) => {
          const p = await currentGuardrailPolicy(db);
          // --json prints the document alone, so it can be edited and given back to pulse policy set.
          printResult(opts.json ? p.policy : p, opts.json, () => `${heading(p)}\n${JSON.stringify(p.policy, null, 2)}`);
        });
      }),
    );

  policy
    .command("set")
    .description("Put a new version in force (admins only); every field not in the file takes its default, unknown fields are refused")
    .requiredOption("--file <policy.json>", "the whole policy as JSON (see pulse policy show --json)")
    .requiredOption("--reason <text>", "why it changes (kept with the version and in the audit log)")
    .option("--json", "print as JSON")
    .addHelpText("after", "\nWho changes it is the operating-system user (or PULSE_ACTOR) with the admin role (PULSE_CLI_ROLES).")
    .action(
      runAction(async (opts: { file: string; reason: string; json?: boolean }) => {
        const input = readPolicyFile(opts.file);
        await withDb(async (db, config) => {
          const actor = cliActor(config);
          const r = await setGuardrailPolicy({ db, audit: createAuditLog(db) }, actor, input, opts.reason);
          printResult(
            { ...r, by: actor.id },
            opts.json,
            (x) =>
              `guardrail policy v${x.version} in force (set by ${x.by})${
                x.changes.length
                  ? `; changed:\n${x.changes.map((c) => `  ${c.field}: ${JSON.stringify(c.policy)} -> ${JSON.stringify(c.requested)}`).join("\n")}`
                  : "; no field differs from the previous version"
              }`,
          );
        });
      }),
    );

  policy
    .command("history")
    .description("Every version, newest first: who set it, when and why")
    .option("--limit <n>", "how many", "50")
    .option("--json", "print as JSON")
    .action(
      runAction(async (opts: { limit: string; json?: boolean }) => {
        const limit = Number(opts.limit);
        if (!Number.isInteger(limit) || limit < 1) throw new InputError(`--limit must be a positive integer, got "${opts.limit}"`);
        await withDb(async (db) => {
          const rows = await guardrailPolicyHistory(db, limit);
          printResult(rows, opts.json, (rs) =>
            rs.length
              ? rs.map((r) => `v${r.version}  ${r.changedAt!.toISOString()}  ${r.changedBy}  ${r.reason}`).join("\n")
              : heading(DEFAULT_ROW),
          );
        });
      }),
    );
}

const DEFAULT_ROW = { version: 0 } as PolicyInForce;
