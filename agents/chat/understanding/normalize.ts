import { leven } from "@nlpjs/similarity";
import { CORPUS, NONE_CORPUS } from "./corpus.js";
import { ARCHETYPE_WORDS, FILTER_WORDS, KEYWORDS } from "./lexicon.js";

/** Words the typo corrector knows: the training corpus and the lexicon's keywords. */
export const VOCABULARY: ReadonlySet<string> = new Set(
  [...Object.values(CORPUS).flat(), ...NONE_CORPUS, ...KEYWORDS].flatMap((u) => u.toLowerCase().match(/[a-z][a-z'-]*/g) ?? []),
);

function sameLetters(a: string, b: string): boolean {
  return a.length === b.length && [...a].sort().join("") === [...b].sort().join("");
}

/**
 * The closest vocabulary word to an unknown one, or the word itself: distance 1 from 5 letters,
 * 2 from 7 (a swap of two neighbouring letters counts as 1). Short words are left alone.
 */
export function correctWord(word: string, vocabulary: ReadonlySet<string> = VOCABULARY): string {
  if (word.length < 5 || vocabulary.has(word) || !/^[a-z]+$/.test(word)) return word;
  let best = word;
  let bestDistance = Infinity;
  for (const candidate of vocabulary) {
    if (Math.abs(candidate.length - word.length) > 2) continue;
    let d = leven(word, candidate);
    if (d === 2 && sameLetters(word, candidate)) d = 1;
    const allowed = word.length >= 7 ? 2 : 1;
    if (d <= allowed && d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

/** Lower case, plain quotes and spaces, and typos of known words corrected. */
export function normalizeText(text: string): string {
  const plain = text
    .toLowerCase()
    .replace(/[‘’`´]/g, "'")
    .replace(/[“”]/g, '"')
    .replace(/\s+/g, " ")
    .trim();
  return plain.replace(/[a-z]+/g, (w) => correctWord(w));
}

/** Audience names (archetypes, then filter words such as "lapsed" or "big spenders"), each a global pattern. */
const AUDIENCE_PATTERNS: RegExp[] = [...ARCHETYPE_WORDS.map(([, re]) => re), ...Object.values(FILTER_WORDS)].map(
  (re) => new RegExp(re.source, "g"),
);

/**
 * Ids, amounts, percentages and audience names as placeholders, so the classifier learns the words
 * around them: "stop messaging the bargain hunters segment" reads as "stop messaging the audience
 * segment", whichever audience the corpus happened to name.
 */
export function maskEntities(text: string): string {
  const masked = AUDIENCE_PATTERNS.reduce((t, re) => t.replace(re, " audience "), text);
  return masked
    .replace(/\bc-\d{8}-[0-9a-z]{6}\b/g, " cycleid ")
    .replace(/\bseg(?:ment)?[-_ #]?\d{1,4}\b/g, " segid ")
    .replace(/\bc\d{6,}\b/g, " custid ")
    .replace(/[$€£]\s*\d[\d,.]*\s*k?\b/g, " money ")
    .replace(/\d+(?:\.\d+)?\s*(?:%|percent\b|per cent\b)/g, " pct ")
    .replace(/\b\d{4}-\d{2}-\d{2}\b/g, " date ")
    .replace(/\s+/g, " ")
    .trim();
}
