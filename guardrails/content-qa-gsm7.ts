/**
 * GSM 03.38 (GSM-7) character counting for SMS. A single SMS carries 160 septets; characters of the
 * extension table are sent as ESC + char and count 2. Anything outside both tables forces UCS-2.
 */

const GSM7_BASIC = new Set(
  "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà",
);
const GSM7_EXTENSION = new Set("\f^{}\\[~]|€");

/** The length of `text` in GSM-7 septets, and the distinct characters GSM-7 cannot carry. */
export function gsm7Length(text: string): { septets: number; nonGsm: string[] } {
  let septets = 0;
  const nonGsm = new Set<string>();
  for (const ch of text) {
    if (GSM7_BASIC.has(ch)) septets += 1;
    else if (GSM7_EXTENSION.has(ch)) septets += 2;
    else {
      nonGsm.add(ch);
      septets += 1;
    }
  }
  return { septets, nonGsm: [...nonGsm] };
}

export function isGsm7(text: string): boolean {
  return gsm7Length(text).nonGsm.length === 0;
}

// Typographic characters models and editors like to produce; each has a plain GSM-7 twin.
const FRIENDLY: Record<string, string> = {
  "\u2018": "'",
  "\u2019": "'",
  "\u201A": "'",
  "\u201C": '"',
  "\u201D": '"',
  "\u201E": '"',
  "\u2013": "-",
  "\u2014": "-",
  "\u2026": "...",
  "\u00A0": " ",
  "\u2022": "-",
};

/** Replaces typographic quotes, dashes, ellipses and non-breaking spaces with GSM-7 characters. */
export function toGsm7Friendly(text: string): string {
  let out = "";
  for (const ch of text) out += FRIENDLY[ch] ?? ch;
  return out;
}

/**
 * Best effort GSM-7 form of a short value such as a first name: typographic fixes, then accents
 * dropped from characters GSM-7 lacks (ë → e; é stays, it is in the table). Null when it still is not GSM-7.
 */
export function transliterateToGsm7(value: string): string | null {
  let out = "";
  for (const ch of toGsm7Friendly(value)) {
    if (GSM7_BASIC.has(ch) || GSM7_EXTENSION.has(ch)) out += ch;
    else out += ch.normalize("NFD").replace(/\p{M}/gu, "");
  }
  return isGsm7(out) ? out : null;
}
