/**
 * A last line of defence for PII minimization: segment names and profile words come from tools and
 * should hold only aggregates, but anything that looks like contact data or an identifier is
 * replaced before it can reach a prompt.
 */
const PATTERNS: readonly RegExp[] = [
  /[^\s@]+@[^\s@]+\.[^\s@]+/g, // email address
  /\+?\d[\d\s().-]{6,}\d/g, // phone number or long digit run
  /\b[0-9a-f]{16,}\b/gi, // hashes (hashed email / phone)
  /\b(?=[A-Za-z_-]*\d)(?=\d*[A-Za-z_-])[A-Za-z0-9_-]*\d{3,}[A-Za-z0-9_-]*\b/g, // ids mixing letters and digits: C000123, cust_8812
];

export const REDACTED = "[redacted]";

export function redactProfileText(text: string): { text: string; redactions: number } {
  let redactions = 0;
  let out = text;
  for (const re of PATTERNS) {
    out = out.replace(re, () => {
      redactions += 1;
      return REDACTED;
    });
  }
  return { text: out, redactions };
}
