import { describe, expect, it } from "vitest";
import { checkContent } from "../../../guardrails/content-qa.js";
import { CHANNELS } from "../../../ingest/formats.js";
import { renderChecked } from "../render.js";
import { SENDING_STRATEGIES } from "../types.js";
import { libraryContext, libraryTemplates } from "./index.js";

const DEPTHS = [0, 0.1, 0.15, 0.2, 0.3] as const;
const BRAND = "Northwind Market";
// Values at the worst-case lengths the template check assumes (12 characters each).
const WORST = {
  first_name: "Maximilianus",
  category: "electronicsX",
  product: "ELE-SKU-0123",
  offer_code: "PULSE-AB12CD",
  unsubscribe_url: "https://shop.example/u/abcdef0123456789",
};

describe("offline copy library", () => {
  for (const strategy of SENDING_STRATEGIES) {
    for (const channel of CHANNELS) {
      describe(`${strategy} × ${channel}`, () => {
        const templates = libraryTemplates(strategy, channel);

        it("has at least 6 variants with unique ids and distinct texts", () => {
          expect(templates.length).toBeGreaterThanOrEqual(6);
          expect(new Set(templates.map((t) => t.variantId)).size).toBe(templates.length);
          for (const depth of DEPTHS) {
            const texts = templates.map((t) => JSON.stringify(t.build(libraryContext(depth, BRAND))));
            expect(new Set(texts).size).toBe(templates.length);
          }
        });

        it.each(DEPTHS)("passes template QA at worst-case lengths and renders cleanly at depth %s", (depth) => {
          for (const t of templates) {
            const fields = t.build(libraryContext(depth, BRAND)) as Record<string, string>;
            const verdict = checkContent({ channel, fields, stage: "template", offer: { depth, maxDepth: 0.3 } });
            expect(verdict.issues, `${t.variantId} @ ${depth}`).toEqual([]);
            const rendered = renderChecked({ variantId: t.variantId, channel, fields } as never, WORST, {
              offer: { depth, maxDepth: 0.3 },
            });
            expect(rendered.ok ? [] : (rendered.verdict?.issues ?? rendered.error?.message), `${t.variantId} @ ${depth}`).toEqual([]);
          }
        });
      });
    }
  }
});
