import { createWriteStream } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { exportAuditLog } from "../../../guardrails/audit-export.js";
import { verifyAuditLog } from "../../../guardrails/audit-verify.js";
import { renderWhy, whyCustomer } from "../../../guardrails/audit-why.js";
import { auditRangeParamsSchema as rangeParams, customerParamsSchema as customerParams } from "../params.js";
import { done, refused, type ChatAction } from "./context.js";

export const explainCustomer: ChatAction = async (ctx) => {
  const { customer } = customerParams.parse(ctx.params);
  if (!customer) return refused("Which customer? Give their id, like C000123.");
  const report = await whyCustomer(ctx.deps.db, customer);
  return done(renderWhy(report), { data: report }, report.cycleId ?? undefined);
};

export const auditExport: ChatAction = async (ctx) => {
  const parsed = rangeParams.safeParse(ctx.params);
  if (!parsed.success) return refused(`I could not read that range: ${parsed.error.issues.map((i) => i.message).join("; ")}`);
  const { from, to, format = "jsonl" } = parsed.data;
  const fromAt = from ? new Date(`${from}T00:00:00Z`) : new Date(0);
  // `to` is a calendar day: the whole day is included.
  const toAt = to ? new Date(new Date(`${to}T00:00:00Z`).getTime() + 86_400_000) : new Date(ctx.now.getTime() + 1);
  const file = path.join(
    ctx.deps.exportDir ?? tmpdir(),
    `pulse-audit-${fromAt.toISOString().slice(0, 10)}-${toAt.toISOString().slice(0, 10)}-${ctx.now.getTime()}.${format}`,
  );
  const out = createWriteStream(file);
  let lines = 0;
  for await (const chunk of exportAuditLog(ctx.deps.db, { from: fromAt, to: toAt, format })) {
    lines += (chunk.match(/\n/g) ?? []).length - (chunk.startsWith("seq,kind") || chunk.startsWith("seq,at,") ? 1 : 0);
    if (!out.write(chunk)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
  return done(
    `Exported ${lines} audit entries from ${fromAt.toISOString().slice(0, 10)} to ${toAt.toISOString().slice(0, 10)} (exclusive) as ${format}: ${file}`,
    {
      data: { file, format, entries: lines, from: fromAt.toISOString(), to: toAt.toISOString() },
    },
  );
};

export const auditVerify: ChatAction = async (ctx) => {
  const r = await verifyAuditLog(ctx.deps.db);
  return done(
    r.ok
      ? `The audit log is intact: ${r.entries} entries, every hash recomputed and chained.`
      : `The audit log is BROKEN at seq ${r.break!.seq}: ${r.break!.message}`,
    {
      data: r,
    },
  );
};
