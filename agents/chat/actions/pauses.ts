import { randomBytes } from "node:crypto";
import {
  activeSuppressionRules,
  insertSuppressionRule,
  liftSuppressionRules,
  type SuppressionRule,
} from "../../../store/suppression-rules-repo.js";
import type { Channel } from "../../../ingest/formats.js";
import { pauseParamsSchema as pauseParams, resumeParamsSchema } from "../params.js";
import { done, refused, type ChatAction } from "./context.js";

type RuleChannel = Channel | "all";

const describe = (r: Pick<SuppressionRule, "channels" | "segmentId" | "until">) =>
  `${r.channels ? r.channels.join(", ") : "all channels"}${r.segmentId ? ` for ${r.segmentId}` : ""}${r.until ? ` until ${r.until.toISOString()}` : " until resumed"}`;

/** Which active rules a resume lifts: those on the channels and segment it names (all when it names none). */
export function rulesToLift(
  rules: readonly SuppressionRule[],
  params: { channels?: readonly string[]; segment?: string },
): SuppressionRule[] {
  return rules.filter((r) => {
    if (params.segment !== undefined && r.segmentId !== params.segment) return false;
    if (params.channels && r.channels !== null && !r.channels.some((c) => params.channels!.includes(c))) return false;
    return true;
  });
}

export const pause: ChatAction = async (ctx) => {
  const parsed = pauseParams.safeParse(ctx.params);
  if (!parsed.success) return refused(`I could not read that pause: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  const { channels, segment, until } = parsed.data;
  const untilAt = until ? new Date(`${until}T00:00:00Z`) : null;
  if (untilAt && untilAt <= ctx.now) return refused(`${until} is not in the future: nothing paused.`);
  const rule = {
    ruleId: `pause-${ctx.now.toISOString().slice(0, 10).replaceAll("-", "")}-${randomBytes(3).toString("hex")}`,
    channels: channels ?? null,
    segmentId: segment ?? null,
    reason: `asked in chat (${ctx.input.via})`,
    createdBy: ctx.input.actorId,
    createdAt: ctx.now,
    until: untilAt,
  };
  await insertSuppressionRule(ctx.deps.db, rule);
  await ctx.deps.audit.append({
    kind: "suppression_rule",
    actor: ctx.input.actorId,
    entry: {
      event: "created",
      ruleId: rule.ruleId,
      channels: rule.channels ?? ["all"],
      segmentId: rule.segmentId,
      until: untilAt?.toISOString() ?? null,
      reason: rule.reason,
    },
  });
  return done(`Paused ${describe(rule)} (rule ${rule.ruleId}). Cycles planned while it holds will not contact the customers it covers.`, {
    data: { rule },
  });
};

export const resume: ChatAction = async (ctx) => {
  const parsed = resumeParamsSchema.safeParse(ctx.params);
  if (!parsed.success) return refused(`I could not read that: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  const active = await activeSuppressionRules(ctx.deps.db, ctx.now);
  const chosen = rulesToLift(active, parsed.data);
  if (chosen.length === 0)
    return done(active.length ? `No pause matches that; in force: ${active.map(describe).join("; ")}.` : "Nothing is paused.");
  const lifted = await liftSuppressionRules(
    ctx.deps.db,
    chosen.map((r) => r.ruleId),
    ctx.input.actorId,
    ctx.now,
  );
  for (const r of lifted)
    await ctx.deps.audit.append({
      kind: "suppression_rule",
      actor: ctx.input.actorId,
      entry: {
        event: "lifted",
        ruleId: r.ruleId,
        channels: (r.channels ?? ["all"]) as RuleChannel[],
        segmentId: r.segmentId,
        until: r.until?.toISOString() ?? null,
        reason: r.reason,
      },
    });
  const partial = lifted.filter(
    (r) => r.channels && parsed.data.channels && r.channels.some((c) => !(parsed.data.channels as string[]).includes(c)),
  );
  return done(
    `Resumed: lifted ${lifted.length} pause${lifted.length === 1 ? "" : "s"} (${lifted.map(describe).join("; ")}).${partial.length ? " A lifted pause also covered other channels; pause them again if they should stay paused." : ""}`,
    { data: { lifted: lifted.map((r) => r.ruleId) } },
  );
};
