import { LlmPiiError } from "./errors.js";

/**
 * PII minimization at the LLM boundary. Prompts are built from segment profiles and pseudonymous
 * ids, so contact data in a prompt is a bug upstream: `assertNoContactData` refuses to send it.
 * What is recorded and audited (prompts, answers, tool arguments and results, error messages) goes
 * through `redactPii`, which also masks hashes and customer ids so audit rows stay low-sensitivity.
 */

export type PiiKind = "email" | "phone";

export interface RedactionOptions {
  /** Patterns of customer ids to mask (for example /\bcus_[a-z0-9]{8,}\b/). The global flag is added. */
  customerIdPatterns?: readonly RegExp[];
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,}/g;

/*
 * Phone numbers in the shapes people write them; bare digit runs are left alone because prompts are
 * full of counts, amounts and ids. Each candidate must also hold 7 to 15 digits (E.164 bounds).
 *  - international:  +44 20 7946 0958, +1-212-555-0199, +33 (0)1 23 45 67 89
 *  - North American: (212) 555-0199, 212-555-0199, 212.555.0199, 212 555 0199
 *  - national with trunk 0: 020 7946 0958, 07700 900123, 030-1234-5678
 */
const PHONE_SHAPES = [
  /(?<![\w+])\+\d{1,3}(?:[ .-]?\(?\d{1,4}\)?){2,6}(?![\w])/g,
  /(?<![\w(])\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}(?!\w)/g,
  /(?<![\w.-])\d{3}([ .-])\d{3}\1\d{4}(?![\w]|[.-]\d)/g,
  /(?<![\w.-])0\d{2,4}[ -]\d{3,8}(?:[ -]\d{3,4})?(?![\w]|[.-]\d)/g,
];

const HEX64 = /(?<![0-9A-Fa-f])[0-9A-Fa-f]{64}(?![0-9A-Fa-f])/g;

function digitCount(s: string): number {
  return s.replace(/\D/g, "").length;
}

function phoneMatches(text: string): Array<{ index: number; length: number }> {
  const found: Array<{ index: number; length: number }> = [];
  for (const shape of PHONE_SHAPES) {
    for (const m of text.matchAll(shape)) {
      const digits = digitCount(m[0]);
      if (digits >= 7 && digits <= 15) found.push({ index: m.index, length: m[0].length });
    }
  }
  return found;
}

function globalOf(re: RegExp): RegExp {
  return re.global ? re : new RegExp(re.source, `${re.flags}g`);
}

/** Which kinds of contact data the text contains (empty when none). */
export function findContactData(text: string): PiiKind[] {
  const kinds: PiiKind[] = [];
  if (new RegExp(EMAIL.source).test(text)) kinds.push("email");
  if (phoneMatches(text.replace(EMAIL, " ")).length > 0) kinds.push("phone");
  return kinds;
}

/** Throws LlmPiiError when text bound for the model contains an e-mail address or a phone number. */
export function assertNoContactData(text: string, where = "prompt"): void {
  const kinds = findContactData(text);
  if (kinds.length > 0) throw new LlmPiiError(where, kinds);
}

/**
 * Masks e-mail addresses, phone numbers, 64-hex hashes and the given customer-id patterns.
 * Hashes go first so that digit groups inside them are not mistaken for phone numbers.
 */
export function redactPii(text: string, options: RedactionOptions = {}): string {
  let out = text.replace(EMAIL, "[email]").replace(HEX64, "[hash]");
  for (const pattern of options.customerIdPatterns ?? []) out = out.replace(globalOf(pattern), "[customer-id]");
  // Shapes can overlap (a national number inside an international one): mask the union.
  const spans = phoneMatches(out)
    .map(({ index, length }) => [index, index + length] as [number, number])
    .sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const span of spans) {
    const last = merged.at(-1);
    if (last && span[0] <= last[1]) last[1] = Math.max(last[1], span[1]);
    else merged.push(span);
  }
  for (const [start, end] of merged.reverse()) out = `${out.slice(0, start)}[phone]${out.slice(end)}`;
  return out;
}

/** A redactor bound to options, for passing around. */
export function createRedactor(options: RedactionOptions = {}): (text: string) => string {
  return (text) => redactPii(text, options);
}
