import { SKUS_PER_CATEGORY, STYLES, styleOf } from "./catalog.js";
import { cumulative, hash32, type Rng } from "./rng.js";

/**
 * Item-level taste: which SKUs a customer picks within a category and price range (see STYLES in
 * catalog.ts for why it exists). It changes which SKU a pick lands on, never how many orders, lines
 * or which category: those draws are untouched, and the SKU moves by a few price steps, zero on average.
 */

/** Dirichlet concentration of a customer's style preference: low, so most customers favour one or two styles. */
const TASTE_CONCENTRATION = 0.35;

/** A customer's item taste (part of CustomerProfile). */
export interface Taste {
  /** Preference over the catalog's styles (sums to 1) and its cumulative sums. */
  taste: number[];
  tasteCum: number[];
  /** Share of picks the taste steers. */
  tasteStrength: number;
  /** Key of the taste draws, hashed with a per-pick counter. */
  tasteKey: number;
}

/** Drawn from its own stream, so every other draw of a profile (archetype, rates, affinities) stays as it was. */
export function drawTaste(r: Rng): Taste {
  const taste = r.dirichlet(Array.from({ length: STYLES }, () => TASTE_CONCENTRATION));
  return { taste, tasteCum: cumulative(taste), tasteStrength: r.uniform(0.5, 0.9), tasteKey: Math.floor(r.next() * 4294967296) };
}

/**
 * Offset from `idx` to the nearest SKU of `style` within a window of STYLES neighbours: -3..4 when
 * leaning right, -4..3 when leaning left, so over both leans the offsets are symmetric about zero.
 */
export function styleOffset(categoryIndex: number, idx: number, style: number, leanRight: boolean): number {
  const offset = (((style - styleOf(categoryIndex, idx)) % STYLES) + STYLES) % STYLES;
  return offset > (leanRight ? 4 : 3) ? offset - STYLES : offset;
}

/**
 * The SKU index a pick lands on: with the customer's taste strength, the nearest SKU of a style drawn
 * from their taste. Draws come from hashing the taste key with the pick counter `n`, not from the
 * engine's stream, so adding taste left every other draw of the simulation where it was. At the ends
 * of the price range a move could only go one way (and the priciest SKUs carry the most revenue):
 * there the pick stays, so following taste never shifts prices on average.
 */
export function followTaste(t: Taste, categoryIndex: number, idx: number, n: number): number {
  const u = (salt: number) => hash32(t.tasteKey, n, salt) / 4294967296;
  if (u(1) >= t.tasteStrength) return idx;
  const x = u(2) * t.tasteCum[STYLES - 1];
  let style = STYLES - 1;
  for (let i = 0; i < STYLES - 1; i++)
    if (x < t.tasteCum[i]) {
      style = i;
      break;
    }
  const j = idx + styleOffset(categoryIndex, idx, style, u(3) < 0.5);
  return j < 0 || j >= SKUS_PER_CATEGORY ? idx : j;
}
