import { CHANNELS, type Channel } from "../ingest/formats.js";
import type { Archetype } from "./archetypes.js";
import { baseDailyRate, hasConsentAt, integratedHazard, isActiveAt, productFitOf, realizedEffect, WINDOW_MS } from "./customer-engine.js";
import type { CustomerProfile } from "./customer-profile.js";
import { NotFoundError } from "../core/errors.js";
import { OFFER_DEPTHS, SENDING_STRATEGIES, isSendingStrategy, type Strategy } from "./strategies.js";
import { decayFatigue, fatigueRatio } from "./treatment-effect.js";
import { worldInternals, type World } from "./world.js";

/**
 * The latent truth behind a simulated world, for evaluations only. Pulse's agents and tools never
 * import this module: they see the world through ingestion files and step results.
 *
 * All answers are "given the world's state at world.now": a time `at` later than now assumes no
 * purchase or message happens in between (fatigue decays, open message windows play out).
 */

export interface EffectQuery {
  customerId: string;
  strategy: Strategy;
  channel: Channel;
  offerDepth: number;
  /** Send time; defaults to world.now. */
  at?: Date;
  /** The product a cross-sell recommends. */
  productSku?: string;
}

export interface EffectTruth {
  /** P(at least one purchase within the response window) without this message. */
  baseline: number;
  /** The same with the message, if delivered. */
  treated: number;
  /** Chance the message bounces (no effect then). */
  bounce: number;
  /** Expected change in P(purchase within the window): (1 - bounce) * (treated - baseline); 0 without consent. */
  effect: number;
  /** Consent for marketing on the channel at send time. */
  consented: boolean;
}

export interface CustomerTruth {
  customerId: string;
  archetype: Archetype;
  alive: boolean;
  sleepingDog: boolean;
  /** Purchases per week the customer would make now (baseline, with seasonality of the current day). */
  purchaseRatePerWeek: number;
  /** Decayed exposure count and its ratio to what the customer tolerates (1 = at the limit). */
  fatigue: number;
  fatigueRatio: number;
  discountSensitivity: number;
  tolerancePerWeek: number;
  unsubscribed: Channel[];
}

export class GroundTruth {
  readonly #world: World;

  constructor(world: World) {
    this.#world = world;
  }

  #customer(customerId: string) {
    const w = worldInternals(this.#world);
    const index = w.index.get(customerId);
    if (index === undefined) throw new NotFoundError(`customer ${customerId}`);
    return { p: w.profiles[index], s: w.states[index], now: w.now() };
  }

  archetype(customerId: string): Archetype {
    return this.#customer(customerId).p.archetype;
  }

  /** Archetype of every customer, in customer order. */
  archetypes(): Map<string, Archetype> {
    return new Map(worldInternals(this.#world).profiles.map((p) => [p.customerId, p.archetype]));
  }

  /** The full latent profile (rates, affinities, propensities, active hours, consent schedule). */
  profile(customerId: string): Readonly<CustomerProfile> {
    return this.#customer(customerId).p;
  }

  /** Alive in the BG/NBD sense: still buying at their own rate rather than lapsed. */
  isAlive(customerId: string, at?: Date): boolean {
    const { p, s, now } = this.#customer(customerId);
    return isActiveAt(p, s, at ? at.getTime() : now);
  }

  isSleepingDog(customerId: string): boolean {
    return this.#customer(customerId).p.sleepingDog;
  }

  hasConsent(customerId: string, channel: Channel, at?: Date): boolean {
    const { p, s, now } = this.#customer(customerId);
    return hasConsentAt(p, s, CHANNELS.indexOf(channel), at ? at.getTime() : now);
  }

  /** P(at least one purchase in the RESPONSE_WINDOW_DAYS from `at`) if no message is sent. */
  baselinePurchaseProbability(customerId: string, at?: Date): number {
    const { p, s, now } = this.#customer(customerId);
    const t = at ? at.getTime() : now;
    return -Math.expm1(-integratedHazard(p, s, t, t + WINDOW_MS));
  }

  /** The true effect of sending one message now (or at `at`), as World.step would realize it. */
  effect(q: EffectQuery): EffectTruth {
    const { p, s, now } = this.#customer(q.customerId);
    const t = q.at ? q.at.getTime() : now;
    const c = CHANNELS.indexOf(q.channel);
    const consented = hasConsentAt(p, s, c, t);
    const ratio = fatigueRatio(p, decayFatigue(s.fatigue, s.fatigueAt, t));
    const { p0, p1 } = realizedEffect(p, s, q.strategy, c, q.offerDepth, ratio, t, productFitOf(p, q.productSku));
    const sends = consented && isSendingStrategy(q.strategy) && t >= p.signupAt;
    const bounce = p.bounce[c];
    return { baseline: p0, treated: sends ? p1 : p0, bounce, effect: sends ? (1 - bounce) * (p1 - p0) : 0, consented };
  }

  /** How well a product suits the customer's taste: 0.5 (wrong) to 1.5 (right); 1 for a SKU not in the catalog. */
  productFit(customerId: string, sku: string): number {
    return productFitOf(this.#customer(customerId).p, sku);
  }

  /** Shorthand for effect(q).effect. */
  expectedEffect(q: EffectQuery): number {
    return this.effect(q).effect;
  }

  /** Every sending strategy x channel x standard offer depth for one customer. */
  effectTable(customerId: string, at?: Date): { strategy: Strategy; channel: Channel; offerDepth: number; effect: number }[] {
    const out: { strategy: Strategy; channel: Channel; offerDepth: number; effect: number }[] = [];
    for (const strategy of SENDING_STRATEGIES) {
      for (const channel of CHANNELS) {
        for (const offerDepth of OFFER_DEPTHS) {
          out.push({ strategy, channel, offerDepth, effect: this.expectedEffect({ customerId, strategy, channel, offerDepth, at }) });
        }
      }
    }
    return out;
  }

  customer(customerId: string): CustomerTruth {
    const { p, s, now } = this.#customer(customerId);
    const level = decayFatigue(s.fatigue, s.fatigueAt, now);
    return {
      customerId,
      archetype: p.archetype,
      alive: isActiveAt(p, s, now),
      sleepingDog: p.sleepingDog,
      purchaseRatePerWeek: baseDailyRate(p, s, now) * 7,
      fatigue: level,
      fatigueRatio: fatigueRatio(p, level),
      discountSensitivity: p.discountSensitivity,
      tolerancePerWeek: p.tolerancePerWeek,
      unsubscribed: CHANNELS.filter((_, c) => s.unsubscribedAt[c] <= now),
    };
  }

  /** Share of customers alive now, per archetype. */
  aliveShareByArchetype(): Map<Archetype, { customers: number; alive: number }> {
    const w = worldInternals(this.#world);
    const out = new Map<Archetype, { customers: number; alive: number }>();
    for (let i = 0; i < w.profiles.length; i++) {
      const p = w.profiles[i];
      const e = out.get(p.archetype) ?? { customers: 0, alive: 0 };
      e.customers++;
      if (isActiveAt(p, w.states[i], w.now())) e.alive++;
      out.set(p.archetype, e);
    }
    return out;
  }
}

export function groundTruth(world: World): GroundTruth {
  return new GroundTruth(world);
}
