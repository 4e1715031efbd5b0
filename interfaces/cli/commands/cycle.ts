import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { loadConfig } from "../../../core/config.js";
import { cycleRowStatus } from "../../../core/domain.js";
import { InputError } from "../../../core/errors.js";
import { listCycles } from "../../../store/cycles-repo.js";
import { messageCounts } from "../../../store/messages-repo.js";
import { targetSummary } from "../../../store/targets-repo.js";
import { enqueueActivationShards } from "../../../workflows/cycle/activation-shard.js";
import { jobIds } from "../../../workflows/cycle/ids.js";
import type { CycleWait } from "../../../workflows/cycle/service.js";
import type { CycleState } from "../../../workflows/cycle/state.js";
import { cliActor, requireCan } from "../cli-actor.js";
import { withDb } from "../context.js";
import { withCycle } from "../cycle-context.js";
import { printResult, runAction } from "../run-action.js";

const ROLES_HINT = "roles come from PULSE_CLI_ROLES (README: identity)";

export function renderCycle(s: CycleState, waiting: CycleWait): string {
  const row = cycleRowStatus(s.status);
  const out = [`cycle ${s.cycleId}: ${row}${row === s.status ? "" : ` (${s.status})`} (requested by ${s.requestedBy}, as of ${s.asOf})`];
  if (s.refresh) out.push(`  segments (k=${s.refresh.k}): ${s.refresh.segments.map((x) => `${x.name} ${x.size}`).join(", ")}`);
  if (s.plan)
    for (const p of s.plan.segments)
      out.push(
        `  plan ${p.name}: ${p.channel ? `${p.strategy} by ${p.channel}, ${Math.round(p.offerDepth * 100)}% off, ${p.contacts} contacts` : p.strategy} (${p.reasons[0] ?? ""})`,
      );
  if (s.review)
    out.push(
      `  review: risk tier ${s.review.risk.tier}${s.review.risk.triggers.length ? ` (${s.review.risk.triggers.map((t) => t.message).join("; ")})` : ""}; checks ${
        s.review.checks
          .filter((c) => !c.passed)
          .map((c) => `${c.check} failed on ${c.subject}`)
          .join(", ") || "all passed"
      }`,
    );
  if (s.approval) out.push(`  ${s.approval.decision} by ${s.approval.by}${s.approval.reason ? `: ${s.approval.reason}` : ""}`);
  if (s.activation)
    out.push(
      `  activated: ${s.activation.treated} treated, ${s.activation.holdout} held out, ${s.activation.globalControl} global control; measured after ${s.activation.measureAt}`,
    );
  if (s.measurement) out.push(`  ${s.measurement.headline}`, ...s.measurement.lines.map((l) => `    ${l}`));
  if (waiting?.kind === "approval")
    out.push(`  waiting for approval until ${waiting.expiresAt}: pulse approve ${s.cycleId} | pulse reject ${s.cycleId} --reason "..."`);
  if (waiting?.kind === "attribution_window")
    out.push(
      `  waiting for the attribution window to close at ${waiting.windowEndsAt} (then: pulse cycle close-window ${s.cycleId}, or the measure job under pulse worker)`,
    );
  out.push(
    `  agents: ${
      Object.entries(s.agents)
        .map(([k, v]) => `${k} ${v.source}${v.fallbackReason ? ` (fell back: ${v.fallbackReason})` : ""}`)
        .join(", ") || "none yet"
    }; LLM calls ${s.llm.calls}, tokens ${s.llm.promptTokens}+${s.llm.completionTokens}`,
  );
  return out.join("\n");
}

function parseSettings(file?: string): unknown {
  if (!file) return {};
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (err) {
    throw new InputError(`--settings ${file}: ${(err as Error).message}`);
  }
}

export function registerCycleCommands(program: Command): void {
  const cycle = program
    .command("cycle")
    .description("Run and inspect marketing cycles (refresh → plan → compose → review → approve → activate → measure → learn)");

  cycle
    .command("run")
    .description("Start a cycle now. Without REDIS_URL its jobs run in this process; with it, pulse worker runs them.")
    .option("--as-of <iso>", "treat this instant as now for the data (default: now)")
    .option(
      "--settings <file>",
      "JSON file with the cycle's brief (channels, variants, brand, ...); it may tighten the guardrail policy (pulse policy show), never loosen it",
    )
    .option("--json", "print the cycle state as JSON")
    .action(
      runAction(async (opts: { asOf?: string; settings?: string; json?: boolean }) => {
        // The requester is whoever runs the command (they cannot approve it): cli:<os user> or PULSE_ACTOR.
        const actor = requireCan(cliActor(loadConfig()), "start_cycle", ROLES_HINT);
        const asOf = opts.asOf ? new Date(opts.asOf) : undefined;
        if (asOf && Number.isNaN(asOf.getTime())) throw new InputError(`--as-of: "${opts.asOf}" is not a date`);
        const settings = parseSettings(opts.settings);
        await withCycle(async (ctx, db) => {
          const started = await ctx.service.start({
            requestedBy: actor.id,
            ...(asOf ? { asOf } : {}),
            settings: settings as never,
          });
          const jobs = await ctx.drain();
          const { state, waiting } = await ctx.service.get(started.cycleId);
          printResult(
            { state, waiting, jobs },
            opts.json,
            (r) =>
              `${renderCycle(r.state, r.waiting)}${jobs.pending ? `\n  ${jobs.pending} jobs are scheduled for later (sends at customers' local hour, the measurement): pulse cycle run-due ${started.cycleId}` : ""}`,
          );
        });
      }),
    );

  cycle
    .command("status")
    .argument("<cycle>", "cycle id")
    .description("Show a cycle: plan, review, approval, activation, lift readout and what it waits for")
    .option("--json", "print as JSON")
    .action(
      runAction(async (cycleId: string, opts: { json?: boolean }) => {
        await withCycle(async (ctx, db) => {
          const r = await ctx.service.get(cycleId);
          const extra = { targets: await targetSummary(db, cycleId), messages: await messageCounts(db, cycleId) };
          printResult(
            { ...r, ...extra },
            opts.json,
            (x) =>
              `${renderCycle(x.state, x.waiting)}\n  not contacted: ${
                x.targets
                  .filter((t) => t.decision === "skip")
                  .map((t) => `${t.code} ${t.customers}`)
                  .join(", ") || "none"
              }\n  messages: ${x.messages.map((m) => `${m.channel} ${m.status} ${m.n}`).join(", ") || "none"}`,
          );
        });
      }),
    );

  cycle
    .command("list")
    .description("Recent cycles")
    .option("--limit <n>", "how many", "20")
    .option("--json", "print as JSON")
    .action(
      runAction(async (opts: { limit: string; json?: boolean }) => {
        await withDb(async (db) => {
          const rows = await listCycles(db, Number(opts.limit));
          printResult(rows, opts.json, (rs) =>
            rs.length
              ? rs.map((r) => `${r.cycleId}  ${r.status.padEnd(18)} as of ${r.asOf.toISOString()}  by ${r.requestedBy}`).join("\n")
              : "no cycles yet: pulse cycle run",
          );
        });
      }),
    );

  cycle
    .command("run-due")
    .argument("<cycle>", "cycle id")
    .description("Without Redis: send the cycle's messages whose local send time has come (messages wait in the database, nothing is lost)")
    .action(
      runAction(async (cycleId: string) => {
        await withCycle(async (ctx) => {
          const { state } = await ctx.service.get(cycleId);
          if (!state.activation || !state.copy) throw new InputError(`cycle ${cycleId} is not activated (status ${state.status})`);
          // The activate node's shards, run again under ids of their own (the shard is idempotent):
          // messages already created are kept, and those still queued get their send jobs.
          const at = new Date();
          await enqueueActivationShards(ctx.deps, cycleId, state.copy.campaigns, state.settings.shardSize, (index, shard) =>
            jobIds.dueActivation(cycleId, index, shard, at),
          );
          const r = await ctx.drain();
          process.stdout.write(`${r.completed} jobs run, ${r.failed} failed, ${r.pending} still scheduled\n`);
        });
      }),
    );

  cycle
    .command("resume")
    .argument("<cycle>", "cycle id")
    .description(
      "Continue a cycle that stopped part-way (a process died, or a step failed: see pulse cycle list) from its last checkpoint; steps already done are not repeated. A cycle whose approval was recorded but not yet acted on goes on with that decision; one whose approval request expired undecided is closed, nothing sent",
    )
    .option("--json", "print as JSON")
    .action(
      runAction(async (cycleId: string, opts: { json?: boolean }) => {
        await withCycle(async (ctx) => {
          await ctx.service.resume(cycleId);
          await ctx.drain();
          const r = await ctx.service.get(cycleId);
          printResult(r, opts.json, (x) => renderCycle(x.state, x.waiting));
        });
      }),
    );

  cycle
    .command("close-window")
    .argument("<cycle>", "cycle id")
    .description("Measure a cycle whose attribution window has closed (the measure job does this under pulse worker)")
    .option("--json", "print as JSON")
    .action(
      runAction(async (cycleId: string, opts: { json?: boolean }) => {
        await withCycle(async (ctx, db) => {
          const { state } = await ctx.service.get(cycleId);
          if (state.activation && new Date(state.activation.measureAt) > ctx.deps.clock.now()) {
            throw new InputError(
              `the attribution window of ${cycleId} closes at ${state.activation.measureAt}; measuring earlier would cut outcomes short`,
            );
          }
          const r = await ctx.service.closeWindow(cycleId);
          printResult(r, opts.json, (x) => renderCycle(x.state, x.waiting));
        });
      }),
    );

  for (const decision of ["approve", "reject"] as const) {
    program
      .command(decision)
      .argument("<cycle>", "cycle id")
      .description(
        decision === "approve"
          ? "Approve a cycle's plan (not as its requester) and let it activate"
          : "Reject a cycle's plan with a reason; nothing is sent",
      )
      .addHelpText(
        "after",
        "\nWho decides is the operating-system user running this (cli:<user>), or PULSE_ACTOR for a service account; their role (PULSE_CLI_ROLES) must allow deciding, and they must not be the requester. There is no --by: a typed name is not identity.",
      )
      .option("--reason <text>", decision === "approve" ? "why (optional)" : "why (required)")
      .option("--json", "print as JSON")
      .action(
        runAction(async (cycleId: string, opts: { reason?: string; json?: boolean }) => {
          if (decision === "reject" && !opts.reason?.trim()) throw new InputError("pulse reject needs --reason");
          const actor = requireCan(cliActor(loadConfig()), "decide", ROLES_HINT);
          await withCycle(async (ctx, db) => {
            await ctx.service.decide(cycleId, {
              decision: decision === "approve" ? "approved" : "rejected",
              by: actor.id,
              ...(opts.reason ? { reason: opts.reason } : {}),
            });
            await ctx.drain();
            const r = await ctx.service.get(cycleId);
            printResult(r, opts.json, (x) => renderCycle(x.state, x.waiting));
          });
        }),
      );
  }
}
