import type { RequestActor } from "../auth.js";
import { html, raw, type SafeHtml } from "./html.js";

export const PAGES = [
  { path: "/segments", title: "Segments" },
  { path: "/plan", title: "Plan and approvals" },
  { path: "/results", title: "Results" },
  { path: "/fatigue", title: "Fatigue and volume" },
  { path: "/models", title: "Models" },
  { path: "/audit", title: "Audit" },
] as const;

const STYLE = `
body{font-family:system-ui,sans-serif;margin:0;color:#222;background:#fafafa}
header{background:#1f2d3d;color:#fff;padding:10px 20px;display:flex;gap:18px;align-items:center;flex-wrap:wrap}
header a{color:#cfe3ff;text-decoration:none} header a.current{color:#fff;font-weight:bold;text-decoration:underline}
header .who{margin-left:auto;font-size:13px} header form{display:inline}
main{padding:16px 24px;max-width:1000px}
h1{font-size:20px;margin:8px 0 12px} h2{font-size:16px;margin:18px 0 8px}
table{border-collapse:collapse;margin:8px 0;font-size:13px;background:#fff} td,th{border:1px solid #ddd;padding:4px 8px;text-align:left} th{background:#f0f3f7}
td.num{text-align:right;font-variant-numeric:tabular-nums}
.note{color:#555;font-size:13px} .error{background:#fde8e8;border:1px solid #e0a0a0;padding:8px;margin:8px 0}
.ok{background:#e8f6e8;border:1px solid #a0d0a0;padding:8px;margin:8px 0}
figure.chart{margin:8px 0;background:#fff;border:1px solid #e4e4e4;display:inline-block}
form.decide{display:inline-block;margin-right:16px;vertical-align:top} textarea{width:320px;height:48px}
button{padding:4px 12px}
`;

export function page(options: { title: string; path: string; actor: RequestActor | null; csrf?: string; body: SafeHtml }): string {
  const nav = options.actor
    ? html`<nav>${PAGES.map((p) => html`<a href="${p.path}" class="${p.path === options.path ? "current" : ""}">${p.title}</a> `)}</nav>
        <span class="who"
          >signed in as <b>${options.actor.name ?? options.actor.id}</b> (${options.actor.role})
          <form method="post" action="/logout">
            <input type="hidden" name="csrf" value="${options.csrf ?? ""}" /><button>Sign out</button>
          </form></span
        >`
    : html``;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>${options.title} · Pulse</title>
        <style>
          ${raw(STYLE)}
        </style>
      </head>
      <body>
        <header><b>Pulse</b> ${nav}</header>
        <main>
          <h1>${options.title}</h1>
          ${options.body}
        </main>
      </body>
    </html>`.value;
}

export const num = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || Number.isNaN(v)
    ? "–"
    : v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
export const pct = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || Number.isNaN(v) ? "–" : `${(v * 100).toFixed(digits)}%`;
