import type { Channel } from "../ingest/formats.js";

/** The per-customer fields copy may use, as Handlebars placeholders: {{first_name}} etc. */
export const PLACEHOLDERS = ["first_name", "category", "product", "offer_code", "unsubscribe_url"] as const;
export type Placeholder = (typeof PLACEHOLDERS)[number];

/**
 * Longest value rendering may put in each placeholder; template checks assume these, and rendering
 * keeps to them (a longer first name falls back to the generic greeting).
 */
export const PLACEHOLDER_WORST_CASE: Record<Placeholder, number> = {
  first_name: 12,
  category: 12,
  /** A recommended product (tools/recommend.ts), as its SKU or short name. */
  product: 12,
  offer_code: 12,
  unsubscribe_url: 80,
};

/** Which placeholders each field may use. Unsubscribe links belong in the email body only; SMS opts out by STOP. */
const COMMON: readonly Placeholder[] = ["first_name", "category", "product", "offer_code"];
export const ALLOWED_PLACEHOLDERS: Record<Channel, Record<string, readonly Placeholder[]>> = {
  email: { subject: COMMON, preheader: COMMON, body: [...COMMON, "unsubscribe_url"], cta: COMMON },
  sms: { text: COMMON },
  push: { title: COMMON, body: COMMON },
  in_app: { title: COMMON, body: COMMON, cta: COMMON },
};

export interface PlaceholderUse {
  raw: string;
  /** The trimmed expression inside the braces. */
  name: string;
  index: number;
  /** Triple braces, block helpers, partials, comments or paths: anything but a plain {{name}}. */
  simple: boolean;
}

const MUSTACHE = /\{\{\{?([^{}]*)\}?\}\}/g;

export function findPlaceholders(text: string): PlaceholderUse[] {
  const out: PlaceholderUse[] = [];
  for (const m of text.matchAll(MUSTACHE)) {
    const raw = m[0];
    const name = m[1]!.trim();
    const simple = !raw.startsWith("{{{") && /^[a-z_][a-z0-9_]*$/i.test(name);
    out.push({ raw, name, index: m.index, simple });
  }
  return out;
}

export function isPlaceholder(name: string): name is Placeholder {
  return (PLACEHOLDERS as readonly string[]).includes(name);
}

/** Placeholder-like text that is not Handlebars: {first_name}, [First Name], <first_name>, %FIRST_NAME%. */
export const PSEUDO_PLACEHOLDER =
  /\{\s*[a-z_ ]+\s*\}|\[\s*(first[ _]?name|name|category|product|offer[ _]?code|code|unsubscribe[ _]?(url|link)|link)\s*\]|<\s*(first_name|category|product|offer_code|unsubscribe_url)\s*>|%[A-Z_]+%/i;

/** The text with every simple placeholder replaced by `fill(name)`. */
export function substitutePlaceholders(text: string, fill: (name: string) => string): string {
  return text.replace(MUSTACHE, (raw, inner: string) => {
    const name = inner.trim();
    return !raw.startsWith("{{{") && /^[a-z_][a-z0-9_]*$/i.test(name) ? fill(name) : raw;
  });
}
