import { describe, expect, it } from "vitest";
import { CATALOG, SKUS_PER_CATEGORY, STYLES, styleOf } from "./catalog.js";
import { groundTruth } from "./ground-truth.js";
import { Rng } from "./rng.js";
import { RowSink } from "./sink.js";
import { followTaste, styleOffset, type Taste } from "./taste.js";
import { World } from "./world.js";

const taste = (weights: number[], strength: number, key = 7): Taste => {
  const total = weights.reduce((s, x) => s + x, 0);
  const t = weights.map((w) => w / total);
  let c = 0;
  return { taste: t, tasteCum: t.map((x) => (c += x)), tasteStrength: strength, tasteKey: key };
};

describe("styleOffset", () => {
  it("lands on the asked style within four price steps, symmetric about zero over both leans", () => {
    for (let cat = 0; cat < CATALOG.length; cat++) {
      let sum = 0;
      for (let idx = 4; idx < SKUS_PER_CATEGORY - 4; idx++) {
        for (let style = 0; style < STYLES; style++) {
          for (const lean of [true, false]) {
            const o = styleOffset(cat, idx, style, lean);
            expect(Math.abs(o)).toBeLessThanOrEqual(4);
            expect(styleOf(cat, idx + o)).toBe(style);
            sum += o;
          }
        }
      }
      expect(sum).toBe(0);
    }
  });
});

describe("followTaste", () => {
  it("leaves every pick alone without taste strength and stays inside the catalog at the ends", () => {
    const none = taste([1, 1, 1, 1, 1, 1, 1, 1], 0);
    const strong = taste([1, 0, 0, 0, 0, 0, 0, 0], 1);
    for (let n = 0; n < 200; n++) {
      expect(followTaste(none, 2, n % SKUS_PER_CATEGORY, n)).toBe(n % SKUS_PER_CATEGORY);
      for (const idx of [0, 1, 98, 99]) {
        const j = followTaste(strong, 2, idx, n);
        expect(j).toBeGreaterThanOrEqual(0);
        expect(j).toBeLessThan(SKUS_PER_CATEGORY);
      }
    }
  });

  it("does not move prices on average: picks drawn like the engine's keep their mean price", () => {
    const t = taste([5, 1, 0.2, 0.2, 3, 0.1, 0.1, 0.4], 0.9);
    const r = new Rng(3, 1, 1);
    for (let cat = 0; cat < CATALOG.length; cat++) {
      let before = 0;
      let after = 0;
      for (let n = 0; n < 20_000; n++) {
        const pos = 0.5 + 0.15 * r.normal();
        const idx = Math.min(SKUS_PER_CATEGORY - 1, Math.max(0, Math.round(pos * (SKUS_PER_CATEGORY - 1))));
        before += CATALOG[cat][idx].price;
        after += CATALOG[cat][followTaste(t, cat, idx, n)].price;
      }
      expect(Math.abs(after / before - 1)).toBeLessThan(0.01);
    }
  });
});

describe("simulated customers' item taste", () => {
  it("concentrates each customer's order lines on the styles they favour, across categories", async () => {
    const sink = new RowSink();
    const world = await World.create({ customers: 600, seed: 21 }, { history: { sink } });
    const truth = groundTruth(world);
    const lines = new Map<string, number[]>();
    for (const o of sink.orders) {
      const at = CATALOG.findIndex((skus) => skus[0].category === o.category);
      const idx = CATALOG[at].findIndex((s) => s.sku === o.sku);
      const list = lines.get(o.customer_id) ?? [];
      list.push(styleOf(at, idx));
      lines.set(o.customer_id, list);
    }
    let favoured = 0;
    let customers = 0;
    for (const [id, styles] of lines) {
      if (styles.length < 10) continue;
      const t = truth.profile(id).taste;
      const top = t.indexOf(Math.max(...t));
      favoured += styles.filter((s) => s === top).length / styles.length;
      customers++;
    }
    expect(customers).toBeGreaterThan(100);
    // Without taste each style would get 1/8 of a customer's lines.
    expect(favoured / customers).toBeGreaterThan(0.35);
  });

  it("makes a cross-sell of a product that suits the customer worth more than one that does not", async () => {
    const world = await World.create({ customers: 400, seed: 22, archetypeMix: { premium_loyalist: 1 } });
    const truth = groundTruth(world);
    let checked = 0;
    for (const id of world.customerIds()) {
      const p = truth.profile(id);
      if (p.sleepingDog || !truth.hasConsent(id, "email")) continue;
      const order = p.taste.map((w, s) => [w, s] as const).sort((a, b) => b[0] - a[0]);
      const at = Math.round(p.pricePos * (SKUS_PER_CATEGORY - 1));
      const skuOf = (style: number, idx: number) => {
        const i = Math.max(4, Math.min(95, idx));
        return CATALOG[4][i + styleOffset(4, i, style, true)].sku;
      };
      const right = skuOf(order[0][1], at);
      const wrong = skuOf(order[STYLES - 1][1], at < 50 ? 95 : 4);
      const q = { customerId: id, strategy: "cross_sell" as const, channel: "email" as const, offerDepth: 0 };
      const none = truth.expectedEffect(q);
      if (!(none > 0)) continue;
      expect(truth.productFit(id, right)).toBeGreaterThan(truth.productFit(id, wrong));
      expect(truth.expectedEffect({ ...q, productSku: right })).toBeGreaterThan(none);
      expect(truth.expectedEffect({ ...q, productSku: wrong })).toBeLessThan(none);
      // Other strategies ignore the product.
      const promo = { ...q, strategy: "targeted_promo" as const };
      expect(truth.expectedEffect({ ...promo, productSku: right })).toBe(truth.expectedEffect(promo));
      checked++;
    }
    expect(checked).toBeGreaterThan(50);
  });
});
