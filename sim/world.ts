import { z } from "zod";
import { CHANNELS, timestampField, type ConsentRow, type EventRow, type OrderLineRow, type ResponseRow } from "../ingest/formats.js";
import { InputError } from "../core/errors.js";
import { SECOND_MS } from "./calendar.js";
import { advanceCustomer, initialState, type CustomerState, type EngineMessage, type RejectReason } from "./customer-engine.js";
import { STREAM, drawProfile, type CustomerProfile } from "./customer-profile.js";
import { buildHistoricalCampaigns, type HistoricalCampaign } from "./historical-campaigns.js";
import { Rng } from "./rng.js";
import { RowSink, nullSink, type SimSink } from "./sink.js";
import { simMessageSchema, type SimMessageInput } from "./strategies.js";
import { resolveWorldParams, type WorldParams, type WorldParamsInput } from "./world-params.js";

export const stepInputSchema = z.object({
  /** Defaults to world.now; steps must be contiguous. */
  from: timestampField.optional(),
  to: timestampField,
  messages: z.array(simMessageSchema).default([]),
});
export type StepInput = { from?: Date | string; to: Date | string; messages?: readonly SimMessageInput[] };

export type UndeliveredReason = RejectReason | "unknown_customer" | "duplicate_message_id" | "outside_period";

export interface StepResult {
  from: Date;
  to: Date;
  /** delivered / open / click / conversion / unsubscribe / bounce rows timed inside the period. */
  responses: ResponseRow[];
  orders: OrderLineRow[];
  events: EventRow[];
  /** Marketing consent revocations caused by unsubscribes. */
  consents: ConsentRow[];
  /** Messages that were not delivered and why (cooldown and suppress show as `no_send`). */
  undelivered: { messageId: string; customerId: string; reason: UndeliveredReason }[];
}

/** Hooks generateWorld uses to write history as it is simulated. */
export interface HistoryHooks {
  sink: SimSink;
  afterCustomer?: (profile: CustomerProfile, state: CustomerState) => void;
  /** Awaited every few hundred customers (the writer flushes full buffers here). */
  flush?: () => Promise<void>;
}

export interface CreateWorldOptions {
  onProgress?: (done: number, total: number) => void;
  history?: HistoryHooks;
}

interface WorldInternals {
  params: WorldParams;
  profiles: CustomerProfile[];
  states: CustomerState[];
  index: Map<string, number>;
  now: () => number;
}
const internals = new WeakMap<World, WorldInternals>();

/** For sim/ground-truth.ts only: the latent truth behind a world. */
export function worldInternals(world: World): WorldInternals {
  const found = internals.get(world);
  if (!found) throw new Error("not a World");
  return found;
}

function historicalMessages(p: CustomerProfile, campaigns: readonly HistoricalCampaign[], seed: number): EngineMessage[] {
  const r = new Rng(seed, p.index, STREAM.audience);
  const out: EngineMessage[] = [];
  for (const c of campaigns) {
    const x = r.next(); // drawn for every campaign so audiences stay stable
    if (c.sentAt < p.signupAt || x >= c.audience || Number.isNaN(p.consentGrantedAt[c.channelIndex])) continue;
    out.push({
      messageId: `${c.id}-${p.customerId}`,
      campaignId: c.id,
      channel: c.channelIndex,
      strategy: c.strategy,
      offerDepth: c.offerDepth,
      sentAt: c.sentAt,
      onlyIfLapsedDays: c.onlyIfLapsedDays,
    });
  }
  return out;
}

const NO_MESSAGES: readonly EngineMessage[] = [];

/**
 * The simulated retailer. `World.create(params)` replays the seeded history (the same one
 * generateWorld writes) and leaves the world at the end of it; `step` moves time forward given the
 * messages Pulse sends. Same seed, params and step inputs give the same results.
 */
export class World {
  readonly params: WorldParams;
  readonly #profiles: CustomerProfile[];
  readonly #states: CustomerState[];
  readonly #index = new Map<string, number>();
  readonly #seenMessageIds = new Set<string>();
  #now: number;

  private constructor(params: WorldParams, profiles: CustomerProfile[], states: CustomerState[]) {
    this.params = params;
    this.#profiles = profiles;
    this.#states = states;
    this.#now = params.historyEnd;
    for (const p of profiles) this.#index.set(p.customerId, p.index);
    internals.set(this, { params, profiles, states, index: this.#index, now: () => this.#now });
  }

  static async create(input: WorldParamsInput, options: CreateWorldOptions = {}): Promise<World> {
    const params = resolveWorldParams(input);
    const hooks = options.history;
    const sink = hooks?.sink ?? nullSink;
    const campaigns = buildHistoricalCampaigns(params.seed, params.historyStart, params.historyEnd);
    const profiles: CustomerProfile[] = new Array(params.customers);
    const states: CustomerState[] = new Array(params.customers);
    const ctx = {
      seed: params.seed,
      historyStart: params.historyStart,
      historyEnd: params.historyEnd,
      idWidth: params.idWidth,
      mixCumulative: params.mixCumulative,
    };
    for (let i = 0; i < params.customers; i++) {
      const p = drawProfile(ctx, i);
      const s = initialState(p);
      const messages = historicalMessages(p, campaigns, params.seed);
      advanceCustomer(p, s, params.historyStart, params.historyEnd, messages, { rng: new Rng(params.seed, i, STREAM.history), sink });
      hooks?.afterCustomer?.(p, s);
      profiles[i] = p;
      states[i] = s;
      if ((i + 1) % 100 === 0 || i + 1 === params.customers) {
        if (hooks?.flush) await hooks.flush();
        else await new Promise<void>((resolve) => setImmediate(resolve));
        options.onProgress?.(i + 1, params.customers);
      }
    }
    return new World(params, profiles, states);
  }

  /** The simulated present: the end of history, then the end of the last step. */
  get now(): Date {
    return new Date(this.#now);
  }

  get customerCount(): number {
    return this.#profiles.length;
  }

  customerIds(): string[] {
    return this.#profiles.map((p) => p.customerId);
  }

  /**
   * Simulates [from, to): every customer's baseline purchasing and browsing, plus delivery of and
   * reaction to `messages` (each must be sent inside the period). Messages without marketing
   * consent on their channel at send time are not delivered.
   */
  step(input: StepInput): StepResult {
    const parsed = stepInputSchema.safeParse(input);
    if (!parsed.success) throw new InputError(`invalid step input: ${z.prettifyError(parsed.error)}`);
    const from = parsed.data.from ? Math.floor(parsed.data.from.getTime() / SECOND_MS) * SECOND_MS : this.#now;
    const to = Math.floor(parsed.data.to.getTime() / SECOND_MS) * SECOND_MS;
    if (from !== this.#now) {
      throw new InputError(
        `a step must start where the world is (${new Date(this.#now).toISOString()}), not at ${new Date(from).toISOString()}`,
      );
    }
    if (!(to > from)) throw new InputError("a step must end after it starts");

    const undelivered: StepResult["undelivered"] = [];
    const byCustomer = new Map<number, EngineMessage[]>();
    const idsThisStep = new Set<string>();
    for (const m of parsed.data.messages) {
      const index = this.#index.get(m.customerId);
      const sentAt = Math.floor(m.sentAt.getTime() / SECOND_MS) * SECOND_MS;
      let reason: UndeliveredReason | undefined;
      if (index === undefined) reason = "unknown_customer";
      else if (this.#seenMessageIds.has(m.messageId) || idsThisStep.has(m.messageId)) reason = "duplicate_message_id";
      else if (sentAt < from || sentAt >= to) reason = "outside_period";
      if (reason !== undefined || index === undefined) {
        undelivered.push({ messageId: m.messageId, customerId: m.customerId, reason: reason ?? "unknown_customer" });
        continue;
      }
      idsThisStep.add(m.messageId);
      const list = byCustomer.get(index) ?? [];
      list.push({
        messageId: m.messageId,
        campaignId: m.campaignId ?? "",
        channel: CHANNELS.indexOf(m.channel),
        strategy: m.strategy,
        offerDepth: m.offerDepth,
        sentAt,
        ...(m.productSku !== undefined ? { productSku: m.productSku } : {}),
      });
      byCustomer.set(index, list);
    }
    for (const list of byCustomer.values())
      list.sort((a, b) => a.sentAt - b.sentAt || (a.messageId < b.messageId ? -1 : a.messageId > b.messageId ? 1 : 0));

    const sink = new RowSink();
    const fromSeconds = from / SECOND_MS;
    for (let i = 0; i < this.#profiles.length; i++) {
      const p = this.#profiles[i];
      advanceCustomer(p, this.#states[i], from, to, byCustomer.get(i) ?? NO_MESSAGES, {
        rng: new Rng(this.params.seed, i, STREAM.step, fromSeconds),
        sink,
        onReject: (m, reason) => undelivered.push({ messageId: m.messageId, customerId: p.customerId, reason }),
      });
    }
    for (const id of idsThisStep) this.#seenMessageIds.add(id);
    this.#now = to;
    return {
      from: new Date(from),
      to: new Date(to),
      responses: sink.responses,
      orders: sink.orders,
      events: sink.events,
      consents: sink.consents,
      undelivered,
    };
  }
}
