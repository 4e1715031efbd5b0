import Handlebars from "handlebars";
import { type ChannelFields, SMS_STOP_PATTERN, SMS_STOP_TEXT, fieldNames } from "../../guardrails/content-qa-channels.js";
import { isGsm7, transliterateToGsm7 } from "../../guardrails/content-qa-gsm7.js";
import { PLACEHOLDER_WORST_CASE, isPlaceholder } from "../../guardrails/content-qa-placeholders.js";
import { type ApprovedOffer, type ContentQaVerdict, checkContent } from "../../guardrails/content-qa.js";
import type { Channel } from "../../ingest/formats.js";
import { CopyRenderError } from "./errors.js";

/** Per-customer values for the copy's placeholders. Missing ones fail rendering wherever the copy uses them. */
export interface CustomerVars {
  first_name?: string | null;
  /** The category recommended for this customer. */
  category?: string | null;
  /** The product recommended for this customer (cross-sell). */
  product?: string | null;
  offer_code?: string | null;
  unsubscribe_url?: string | null;
}

export const FIRST_NAME_FALLBACK = "there";

export interface RenderableVariant<C extends Channel = Channel> {
  variantId: string;
  channel: C;
  fields: ChannelFields<C>;
}

export interface RenderedMessage<C extends Channel = Channel> {
  variantId: string;
  channel: C;
  fields: ChannelFields<C>;
  /** True when the first name was missing, too long or not sendable and the fallback greeting was used. */
  firstNameFallback: boolean;
}

export interface RenderOptions {
  firstNameFallback?: string;
}

// Compiled templates by text; bounded so a long-running worker does not grow without end.
const compiled = new Map<string, HandlebarsTemplateDelegate>();
const MAX_COMPILED = 2000;

function compile(variantId: string, field: string, text: string): HandlebarsTemplateDelegate {
  const hit = compiled.get(text);
  if (hit) return hit;
  assertPlainPlaceholders(variantId, field, text);
  const fn = Handlebars.compile(text, { strict: true, noEscape: true });
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(text, fn);
  return fn;
}

/** Only text and {{known_placeholder}}: no helpers, blocks, partials, paths or triple braces. */
function assertPlainPlaceholders(variantId: string, field: string, text: string): void {
  let ast: hbs.AST.Program;
  try {
    ast = Handlebars.parse(text);
  } catch (err) {
    throw new CopyRenderError(variantId, `${field} is not a valid template`, { cause: err });
  }
  for (const node of ast.body) {
    if (node.type === "ContentStatement") continue;
    const m = node as hbs.AST.MustacheStatement;
    const path = m.path as hbs.AST.PathExpression;
    const ok =
      node.type === "MustacheStatement" &&
      path.type === "PathExpression" &&
      path.parts.length === 1 &&
      path.depth === 0 &&
      m.params.length === 0 &&
      !m.hash &&
      isPlaceholder(path.original) &&
      m.escaped;
    if (!ok) throw new CopyRenderError(variantId, `${field} contains a template construct other than a known {{placeholder}}`);
  }
}

/** Customer values never carry template syntax or control characters into a message. */
function clean(value: string | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const v = value
    .replace(/[{}]/g, "")
    .replace(/\p{Cc}/gu, " ")
    .replace(/\s+/g, " ")
    .trim();
  return v === "" ? undefined : v;
}

function firstNameFor(channel: Channel, raw: string | null | undefined): string | undefined {
  let name = clean(raw);
  if (name === undefined) return undefined;
  if (channel === "sms" && !isGsm7(name)) name = transliterateToGsm7(name) ?? undefined;
  if (name === undefined || [...name].length > PLACEHOLDER_WORST_CASE.first_name) return undefined;
  return name;
}

/**
 * Renders a variant for one customer. Strict: a placeholder without a value, or any template
 * construct other than a known placeholder, throws CopyRenderError; nothing half-rendered comes out.
 * The first name falls back to "there" when missing, longer than the worst case copy was checked
 * with, or (SMS) not writable in GSM-7. An SMS gets the STOP text appended when it lacks it.
 * Output is plain text (no HTML escaping): connectors escape for their format.
 */
export function renderMessage<C extends Channel>(
  variant: RenderableVariant<C>,
  vars: CustomerVars,
  options: RenderOptions = {},
): RenderedMessage<C> {
  const firstName = firstNameFor(variant.channel, vars.first_name);
  const values: Record<string, string> = { first_name: firstName ?? options.firstNameFallback ?? FIRST_NAME_FALLBACK };
  for (const key of ["category", "product", "offer_code", "unsubscribe_url"] as const) {
    const v = clean(vars[key]);
    if (v !== undefined) values[key] = v;
  }
  const source = variant.fields as Record<string, string>;
  const out: Record<string, string> = {};
  for (const field of fieldNames(variant.channel)) {
    const text = source[field];
    if (typeof text !== "string") throw new CopyRenderError(variant.variantId, `${field} is missing`);
    let rendered: string;
    try {
      rendered = compile(variant.variantId, field, text)(values);
    } catch (err) {
      if (err instanceof CopyRenderError) throw err;
      const missing = /"([^"]+)" not defined/.exec(err instanceof Error ? err.message : "")?.[1];
      throw new CopyRenderError(
        variant.variantId,
        missing ? `${field} needs {{${missing}}}, which has no value` : `${field} failed to render`,
        {
          cause: err,
        },
      );
    }
    if (/\{\{|\}\}/.test(rendered)) throw new CopyRenderError(variant.variantId, `${field} still contains a placeholder after rendering`);
    out[field] = rendered;
  }
  if (variant.channel === "sms" && !SMS_STOP_PATTERN.test(out.text ?? "")) out.text = `${(out.text ?? "").trimEnd()} ${SMS_STOP_TEXT}`;
  return {
    variantId: variant.variantId,
    channel: variant.channel,
    fields: out as ChannelFields<C>,
    firstNameFallback: firstName === undefined,
  };
}

export type CheckedRender<C extends Channel = Channel> =
  { ok: true; message: RenderedMessage<C>; verdict: ContentQaVerdict } | { ok: false; error?: CopyRenderError; verdict?: ContentQaVerdict };

/**
 * Renders and runs rendered-stage content QA: what a connector may send. A message that does not
 * render, or renders into something QA rejects, comes back as not ok and must not be sent.
 */
export function renderChecked<C extends Channel>(
  variant: RenderableVariant<C>,
  vars: CustomerVars,
  qa: { offer: ApprovedOffer; bannedWords?: readonly string[] },
  options: RenderOptions = {},
): CheckedRender<C> {
  let message: RenderedMessage<C>;
  try {
    message = renderMessage(variant, vars, options);
  } catch (err) {
    if (err instanceof CopyRenderError) return { ok: false, error: err };
    throw err;
  }
  const unsubscribeUrl = clean(vars.unsubscribe_url);
  const verdict = checkContent({
    channel: variant.channel,
    fields: message.fields as Record<string, string>,
    stage: "rendered",
    offer: qa.offer,
    ...(qa.bannedWords ? { bannedWords: qa.bannedWords } : {}),
    ...(unsubscribeUrl !== undefined ? { unsubscribeUrl } : {}),
  });
  return verdict.ok ? { ok: true, message, verdict } : { ok: false, verdict };
}
