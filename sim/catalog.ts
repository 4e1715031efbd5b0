import { CATEGORIES } from "../ingest/formats.js";

export type Category = (typeof CATEGORIES)[number];

/** Price range and gross margin rate of each category; SKUs spread log-evenly over the range. */
interface CategorySpec {
  prefix: string;
  minPrice: number;
  maxPrice: number;
  marginRate: number;
  /** Probability of buying 2 or 3 units of a line. */
  multiUnit: number;
}

const SPECS: Record<Category, CategorySpec> = {
  apparel: { prefix: "APP", minPrice: 12, maxPrice: 180, marginRate: 0.52, multiUnit: 0.2 },
  beauty: { prefix: "BEA", minPrice: 6, maxPrice: 90, marginRate: 0.58, multiUnit: 0.25 },
  electronics: { prefix: "ELE", minPrice: 20, maxPrice: 900, marginRate: 0.18, multiUnit: 0.05 },
  grocery: { prefix: "GRO", minPrice: 2, maxPrice: 40, marginRate: 0.24, multiUnit: 0.5 },
  home: { prefix: "HOM", minPrice: 8, maxPrice: 400, marginRate: 0.42, multiUnit: 0.12 },
  sports: { prefix: "SPO", minPrice: 10, maxPrice: 300, marginRate: 0.36, multiUnit: 0.12 },
  toys: { prefix: "TOY", minPrice: 8, maxPrice: 150, marginRate: 0.34, multiUnit: 0.15 },
  books: { prefix: "BOO", minPrice: 6, maxPrice: 45, marginRate: 0.3, multiUnit: 0.15 },
};

export const SKUS_PER_CATEGORY = 100;

export interface Sku {
  sku: string;
  category: Category;
  /** List price, ending in .99. */
  price: number;
  /** Gross margin rate at list price. */
  marginRate: number;
  multiUnit: number;
}

/** The catalog, fixed for every world: SKUs of each category sorted by ascending price. */
export const CATALOG: readonly (readonly Sku[])[] = CATEGORIES.map((category) => {
  const spec = SPECS[category];
  const out: Sku[] = [];
  for (let i = 0; i < SKUS_PER_CATEGORY; i++) {
    const raw = spec.minPrice * Math.pow(spec.maxPrice / spec.minPrice, i / (SKUS_PER_CATEGORY - 1));
    const price = Math.max(0.99, Math.round(raw) - 0.01);
    // Cheaper items in a category carry slightly thinner margins.
    const marginRate = spec.marginRate * (0.85 + 0.3 * (i / (SKUS_PER_CATEGORY - 1)));
    out.push({ sku: `${spec.prefix}-${String(i).padStart(3, "0")}`, category, price, marginRate, multiUnit: spec.multiUnit });
  }
  return out;
});

/**
 * Item-level taste (why: a recommender needs something true to find, and a cross-sell of a product
 * needs an effect that depends on whether the product suits the customer). Every SKU carries one of
 * STYLES latent styles; a customer prefers a few styles across all categories, which gives order lines
 * a co-purchase structure (buyers of APP-013 also buy HOM-021 when both are their style). Styles are
 * laid out so that any STYLES consecutive SKUs of a category (nearly the same price) hold each style
 * once: following taste moves a pick by a few price steps at most, so the category mix and the price
 * distribution, and with them revenue, stay what they were.
 */
export const STYLES = 8;

export function styleOf(categoryIndex: number, skuIndex: number): number {
  return (skuIndex + 3 * categoryIndex) % STYLES;
}

/** Index of a SKU id in CATALOG ([category, position]), or undefined for an id not in the catalog. */
const SKU_INDEX = new Map<string, [number, number]>(CATALOG.flatMap((skus, c) => skus.map((s, i) => [s.sku, [c, i]] as const)));
export function skuPosition(sku: string): [number, number] | undefined {
  return SKU_INDEX.get(sku);
}
