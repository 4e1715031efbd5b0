import { can } from "../../../core/roles.js";
import type { WhyReport } from "../../../guardrails/audit-why.js";
import type { AuditVerifyResult } from "../../../guardrails/audit-verify.js";
import type { CycleWait } from "../../../workflows/cycle/service.js";
import type { CycleState } from "../../../workflows/cycle/state.js";
import type { RequestActor } from "../auth.js";
import type { metricsView, modelsView, resultsView, segmentsView } from "../views.js";
import { barChart, forestPlot, heatmapChart, lineChart, qiniChart, sankeyChart } from "./charts.js";
import { html, type SafeHtml } from "./html.js";
import { num, pct } from "./layout.js";

type Segments = NonNullable<Awaited<ReturnType<typeof segmentsView>>>;

export function segmentsPage(v: Segments | null): SafeHtml {
  if (!v) return html`<p class="note">No segment run yet: start a cycle (pulse cycle run).</p>`;
  const name = new Map(v.segments.map((s) => [s.segmentId, s.name]));
  const prevName = new Map(v.previous.map((s) => [s.segmentId, s.name]));
  const valueShare = (s: Segments["segments"][number]) => (typeof s.profile.valueShare === "number" ? s.profile.valueShare : 0);
  const share = (s: Segments["segments"][number]) => (typeof s.profile.share === "number" ? s.profile.share : 0);
  const sizes = barChart(
    `Segment sizes and value share (run ${v.run.runId})`,
    v.segments.map((s) => s.name),
    [
      { name: "share of customers", data: v.segments.map(share) },
      { name: "share of value", data: v.segments.map(valueShare) },
    ],
    { percent: true },
  );
  const links = v.migrations.map((m) => ({
    source: m.from ? `before: ${prevName.get(m.from) ?? m.from}` : "before: new customers",
    target: m.to ? `now: ${name.get(m.to) ?? m.to}` : "now: gone",
    value: m.customers,
  }));
  const nodes = [...new Set(links.flatMap((l) => [l.source, l.target]))];
  const sankey = v.run.previousRunId
    ? sankeyChart(`How customers moved since run ${v.run.previousRunId}`, nodes, links)
    : html`<p class="note" id="no-sankey">This is the first segment run: migrations appear after the next refresh.</p>`;
  const profiles = html`<table id="profiles">
    <tr>
      <th>segment</th>
      <th>customers</th>
      <th>outliers</th>
      <th>archetype</th>
      <th>what sets it apart (mean z)</th>
    </tr>
    ${v.segments.map((s) => {
      const top = (Array.isArray(s.profile.topFeatures) ? s.profile.topFeatures : []) as {
        feature: string;
        z: number;
        direction: string;
      }[];
      return html`<tr>
        <td>${s.name}</td>
        <td class="num">${num(s.size)}</td>
        <td class="num">${num(s.outliers)}</td>
        <td>${String(s.profile.archetype ?? "")}</td>
        <td>${top.map((f) => `${f.feature} ${f.direction} (${f.z >= 0 ? "+" : ""}${f.z.toFixed(2)})`).join(", ")}</td>
      </tr>`;
    })}
  </table>`;
  return html`<p class="note">
      Run ${v.run.runId} as of ${v.run.asOf.toISOString()}: k=${v.run.k}, silhouette ${num(v.run.silhouette, 3)}, Davies-Bouldin
      ${num(v.run.daviesBouldin, 3)}.
    </p>
    ${sizes}
    <h2>Migrations</h2>
    <div id="sankey">${sankey}</div>
    <h2>Profiles</h2>
    ${profiles}`;
}

export interface PlanPageInput {
  pending: { cycleId: string; requestedBy: string; expiresAt: string }[];
  cycle: { state: CycleState; waiting: CycleWait } | null;
  actor: RequestActor;
  csrf: string;
  message?: { kind: "ok" | "error"; text: string };
}

export function planPage(p: PlanPageInput): SafeHtml {
  const pending = p.pending.length
    ? html`<ul id="pending">
        ${p.pending.map((c) => html`<li><a href="/plan?cycle=${c.cycleId}">${c.cycleId}</a> requested by ${c.requestedBy}, expires ${c.expiresAt}</li>`)}
      </ul>`
    : html`<p class="note">No plan waits for approval.</p>`;
  const message = p.message ? html`<div class="${p.message.kind}" id="message">${p.message.text}</div>` : html``;
  if (!p.cycle)
    return html`${message}
      <h2>Waiting for approval</h2>
      ${pending}`;
  const s = p.cycle.state;
  const failing = s.review?.checks.filter((c) => !c.passed) ?? [];
  const flagsOf = (segmentName: string) =>
    failing
      .filter((c) => c.subject.includes(segmentName))
      .map((c) => `${c.check}: ${c.reasons.join("; ")}`)
      .join(" | ") || "none";
  const rows = html`<table id="plan">
    <tr>
      <th>segment</th>
      <th>strategy</th>
      <th>channel</th>
      <th>offer</th>
      <th>contacts</th>
      <th>budget</th>
      <th>expected incremental margin</th>
      <th>guardrail flags</th>
    </tr>
    ${(s.plan?.segments ?? []).map(
      (g) =>
        html`<tr>
          <td>${g.name}</td>
          <td>${g.strategy}</td>
          <td>${g.channel ?? "–"}</td>
          <td class="num">${pct(g.offerDepth, 0)}</td>
          <td class="num">${num(g.contacts)}</td>
          <td class="num">${num(g.budget, 2)}</td>
          <td class="num">${num(g.expectedIncrementalMargin, 2)}</td>
          <td>${flagsOf(g.name)}</td>
        </tr>`,
    )}
  </table>`;
  const risk = s.review
    ? html`<p>
        Risk tier
        <b>${s.review.risk.tier}</b>${s.review.risk.triggers.length ? `: ${s.review.risk.triggers.map((t) => t.message).join("; ")}` : ""}.
        Checks: ${failing.length ? failing.map((c) => `${c.check} failed on ${c.subject}`).join(", ") : "all passed"}.
      </p>`
    : html``;
  const waitingApproval = p.cycle.waiting?.kind === "approval";
  const forms =
    waitingApproval && can(p.actor.role, "decide")
      ? html`<div id="decide">
          <form class="decide" method="post" action="/plan/${s.cycleId}/decide">
            <input type="hidden" name="csrf" value="${p.csrf}" /><input type="hidden" name="decision" value="approved" />
            <textarea name="reason" placeholder="note (optional)"></textarea><br /><button id="approve">Approve</button>
          </form>
          <form class="decide" method="post" action="/plan/${s.cycleId}/decide">
            <input type="hidden" name="csrf" value="${p.csrf}" /><input type="hidden" name="decision" value="rejected" />
            <textarea name="reason" placeholder="why (required)" required></textarea><br /><button id="reject">Reject</button>
          </form>
        </div>`
      : waitingApproval
        ? html`<p class="note">Your role (${p.actor.role}) cannot approve or reject plans.</p>`
        : html``;
  const decided = s.approval
    ? html`<p id="decision">
        ${s.approval.decision} by ${s.approval.by}${s.approval.reason ? `: ${s.approval.reason}` : ""} at ${s.approval.at}
      </p>`
    : html``;
  const activation = s.activation
    ? html`<p id="activation">
        Activated: ${num(s.activation.treated)} treated, ${num(s.activation.holdout)} held out, ${num(s.activation.globalControl)} in the
        global control; measured after ${s.activation.measureAt}.
      </p>`
    : html``;
  return html`${message}
    <h2>Waiting for approval</h2>
    ${pending}
    <h2>Cycle ${s.cycleId}: <span id="status">${s.status}</span></h2>
    <p class="note">
      Requested by ${s.requestedBy}, as of ${s.asOf}; ${num(s.plan?.considered)} customers considered, ${num(s.plan?.contacts)} planned
      contacts.
    </p>
    ${rows}${risk}${decided}${activation}${forms}`;
}

type Results = Awaited<ReturnType<typeof resultsView>>;

export function resultsPage(r: Results): SafeHtml {
  if (!r.cycleId) return html`<p class="note">No cycle has been measured yet (the attribution window closes first).</p>`;
  const rows = r.groups
    .filter((g) => g.conversion.ci)
    .map((g) => ({ label: g.group, estimate: g.conversion.difference, low: g.conversion.ci!.low, high: g.conversion.ci!.high }));
  const forest = forestPlot(`Conversion lift, treated − holdout, with 95% intervals (cycle ${r.cycleId})`, rows);
  const arms = barChart(
    "Conversion rate: treated vs holdout",
    r.groups.map((g) => g.group),
    [
      { name: "treated", data: r.groups.map((g) => g.conversion.treated) },
      { name: "holdout", data: r.groups.map((g) => g.conversion.holdout) },
    ],
    { percent: true },
  );
  const over = lineChart(
    "Incremental revenue and margin over cycles (all campaigns)",
    r.overCycles.map((c) => c.asOf.slice(0, 10)),
    [
      { name: "incremental revenue", data: r.overCycles.map((c) => c.incrementalRevenue) },
      { name: "incremental margin", data: r.overCycles.map((c) => c.incrementalMargin) },
    ],
  );
  const table = html`<table id="lift">
    <tr>
      <th>group</th>
      <th>treated</th>
      <th>holdout</th>
      <th>conv. treated</th>
      <th>conv. holdout</th>
      <th>difference [95% CI]</th>
      <th>revenue / customer diff.</th>
      <th>unsubscribe diff.</th>
      <th>SRM</th>
    </tr>
    ${r.groups.map(
      (g) =>
        html`<tr>
          <td>${g.group}</td>
          <td class="num">${num(g.treatedCount)}</td>
          <td class="num">${num(g.holdoutCount)}</td>
          <td class="num">${pct(g.conversion.treated, 2)}</td>
          <td class="num">${pct(g.conversion.holdout, 2)}</td>
          <td class="num">${pct(g.conversion.difference, 2)} [${pct(g.conversion.ci?.low, 2)}, ${pct(g.conversion.ci?.high, 2)}]</td>
          <td class="num">${num(g.revenuePerCustomer.difference, 2)}</td>
          <td class="num">${pct(g.unsubscribeRate.difference, 2)}</td>
          <td>${g.srm.mismatch ? "mismatch" : "ok"}</td>
        </tr>`,
    )}
  </table>`;
  const gc = r.activation
    ? html`<p>Global control: ${num(r.activation.globalControl)} customers never contacted (persistent across cycles).</p>`
    : html``;
  return html`<p><b>${r.headline ?? ""}</b></p>
    ${forest}${arms}${table}${gc}${over}`;
}

type Metrics = Awaited<ReturnType<typeof metricsView>>;

export function fatiguePage(m: Metrics): SafeHtml {
  const days = [...new Set(m.messages.map((x) => x.day))];
  const channels = [...new Set(m.messages.map((x) => x.channel))];
  const volume = days.length
    ? barChart(
        "Messages sent per channel per day",
        days,
        channels.map((c) => ({ name: c, data: days.map((d) => m.messages.find((x) => x.day === d && x.channel === c)?.messages ?? 0) })),
        { stack: true },
      )
    : html`<p class="note">No messages sent between ${m.from} and ${m.to}.</p>`;
  const unsub = m.unsubscribes.length
    ? lineChart(
        "Unsubscribes per day (and per delivered message)",
        m.unsubscribes.map((u) => u.day),
        [
          { name: "unsubscribes", data: m.unsubscribes.map((u) => u.unsubscribes) },
          { name: "rate per delivery", data: m.unsubscribes.map((u) => u.rate), yAxisIndex: 1 },
        ],
        2,
      )
    : html`<p class="note">No deliveries or unsubscribes recorded in this period.</p>`;
  const f = m.fatigue;
  const heat = f
    ? heatmapChart(
        "Customers per fatigue score band, per segment",
        Array.from({ length: f.buckets }, (_, b) => `${(b / f.buckets).toFixed(1)}–${((b + 1) / f.buckets).toFixed(1)}`),
        f.segments.map((s) => s.name),
        f.cells.flatMap((c) => {
          const y = f.segments.findIndex((s) => s.segmentId === c.segmentId);
          return y < 0 ? [] : [[c.bucket, y, c.customers] as [number, number, number]];
        }),
      )
    : html`<p class="note">No fatigue scores yet.</p>`;
  return html`<p class="note">From ${m.from} to ${m.to}.</p>
    ${volume}${heat}${unsub}`;
}

type Models = Awaited<ReturnType<typeof modelsView>>;

export function modelsPage(m: Models): SafeHtml {
  const qini = m.qini.length
    ? qiniChart(
        "Qini curves of the uplift each measured plan used",
        m.qini.map((q) => ({ name: `${q.strategy} (${q.cycleId})`, points: q.curve })),
      )
    : html`<p class="note">No measured cycle yet: Qini curves need randomized outcomes.</p>`;
  const qiniTable = html`<table id="qini">
    <tr>
      <th>cycle</th>
      <th>strategy</th>
      <th>uplift source</th>
      <th>customers</th>
      <th>Qini coefficient</th>
      <th>incremental conversions</th>
    </tr>
    ${m.qini.map(
      (q) =>
        html`<tr>
          <td>${q.cycleId}</td>
          <td>${q.strategy}</td>
          <td>${q.upliftSource ?? ""}</td>
          <td class="num">${num(q.customers)}</td>
          <td class="num">${num(q.qini, 3)}</td>
          <td class="num">${num(q.totalIncremental, 1)}</td>
        </tr>`,
    )}
  </table>`;
  const models = html`<table id="uplift-models">
    <tr>
      <th>model</th>
      <th>run</th>
      <th>as of</th>
      <th>treated</th>
      <th>holdout</th>
    </tr>
    ${m.uplift.map(
      (u) =>
        html`<tr>
          <td>${u.model}</td>
          <td>${u.runId}</td>
          <td>${u.asOf.toISOString()}</td>
          <td class="num">${String(u.metrics.treated ?? "")}</td>
          <td class="num">${String(u.metrics.holdout ?? "")}</td>
        </tr>`,
    )}
  </table>`;
  const clv = m.clv
    ? barChart(
        `CLV fit: predicted CLV by decile vs spend observed in the ${num(m.clv.observedDays, 0)} days after ${m.clv.asOf.slice(0, 10)}`,
        m.clv.deciles.map((d) => `D${d.decile}`),
        [
          { name: "predicted CLV", data: m.clv.deciles.map((d) => d.predictedClv) },
          { name: "observed spend", data: m.clv.deciles.map((d) => d.observedSpend) },
        ],
      )
    : html`<p class="note">No CLV run yet.</p>`;
  const quality = m.segmentQuality.length
    ? lineChart(
        "Segment quality per run",
        m.segmentQuality.map((q) => q.asOf.toISOString().slice(0, 10)),
        [
          { name: "silhouette (higher is better)", data: m.segmentQuality.map((q) => q.silhouette) },
          { name: "Davies-Bouldin (lower is better)", data: m.segmentQuality.map((q) => q.daviesBouldin), yAxisIndex: 1 },
        ],
        2,
      )
    : html``;
  return html`${qini}${qiniTable}
    <h2>Uplift models</h2>
    ${models}
    <h2>CLV</h2>
    ${clv}
    <h2>Segments</h2>
    ${quality}`;
}

export function auditPage(p: {
  customerId?: string;
  cycle?: string;
  why: WhyReport | null;
  whyError?: string;
  verify: AuditVerifyResult;
  whyText?: string;
}): SafeHtml {
  const verify = p.verify.ok
    ? html`<div class="ok" id="verify">Chain verified: OK (${num(p.verify.entries)} entries in ${num(p.verify.rows)} rows).</div>`
    : html`<div class="error" id="verify">Chain BROKEN at seq ${p.verify.break!.seq}: ${p.verify.break!.message}</div>`;
  const search = html`<form method="get" action="/audit">
    <label>Customer id <input name="customer" value="${p.customerId ?? ""}" required /></label>
    <label>cycle (optional) <input name="cycle" value="${p.cycle ?? ""}" /></label> <button>Why?</button>
  </form>`;
  const why = p.whyError
    ? html`<div class="error">${p.whyError}</div>`
    : p.why
      ? html`<h2>Why: ${p.why.customerId} → ${p.why.outcome}</h2>
          <pre id="why">${p.whyText ?? p.why.summary}</pre>`
      : html``;
  const today = new Date().toISOString().slice(0, 10);
  const exportForm = html`<h2>Export</h2>
    <form method="get" action="/audit/export">
      <label>from <input name="from" value="2000-01-01" /></label> <label>to <input name="to" value="${today}T23:59:59Z" /></label>
      <select name="format">
        <option>jsonl</option>
        <option>csv</option>
      </select>
      <button>Export</button>
    </form>`;
  return html`${verify}${search}${why}${exportForm}`;
}
