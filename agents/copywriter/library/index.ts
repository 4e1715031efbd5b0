import type { Channel } from "../../../ingest/formats.js";
import type { SendingStrategy } from "../types.js";
import { crossSellLibrary } from "./cross-sell.js";
import type { LibraryContext, LibraryEntry, StrategyLibrary } from "./library-types.js";
import { reengageLibrary } from "./reengage.js";
import { targetedPromoLibrary } from "./targeted-promo.js";
import { winbackLibrary } from "./winback.js";

export type { LibraryContext, LibraryEntry, StrategyLibrary } from "./library-types.js";

/** The offline copy library: curated templates per sending strategy and channel. */
export const OFFLINE_LIBRARY: Readonly<Record<SendingStrategy, StrategyLibrary>> = {
  targeted_promo: targetedPromoLibrary,
  reengage: reengageLibrary,
  winback: winbackLibrary,
  cross_sell: crossSellLibrary,
};

export interface LibraryTemplate<C extends Channel = Channel> {
  variantId: string;
  build: LibraryEntry<C>;
}

export function libraryTemplates<C extends Channel>(strategy: SendingStrategy, channel: C): LibraryTemplate<C>[] {
  const entries = OFFLINE_LIBRARY[strategy][channel] as readonly LibraryEntry<C>[];
  return entries.map((build, i) => ({ variantId: libraryVariantId(strategy, channel, i), build }));
}

export function libraryVariantId(strategy: SendingStrategy, channel: Channel, index: number): string {
  return `${strategy}.${channel}.${index + 1}`;
}

export function libraryContext(depth: number, brand: string): LibraryContext {
  return { pct: depth > 0 ? String(Math.round(depth * 1000) / 10) : null, brand };
}
