import { DEFAULT_LLM_PRICES, type LlmPriceTable, priceFor } from "./prices.js";
import type { LlmCallListener, LlmCallRecord } from "./types.js";

export interface LlmTotals {
  calls: number;
  failures: number;
  /** Repeats after transient failures (429, 5xx, timeouts, connection errors). */
  retries: number;
  /** Re-asks after invalid JSON or schema failures. */
  repairs: number;
  /** Model requests made, including retries and re-asks. */
  attempts: number;
  toolCalls: number;
  promptTokens: number;
  completionTokens: number;
  costUsd: number;
  latencyMs: number;
}

export interface LlmAccountingSnapshot extends LlmTotals {
  byAgent: Record<string, LlmTotals>;
  /** Models priced with the unknown-model fallback; their cost is a rough estimate. */
  unpricedModels: string[];
}

const zero = (): LlmTotals => ({
  calls: 0,
  failures: 0,
  retries: 0,
  repairs: 0,
  attempts: 0,
  toolCalls: 0,
  promptTokens: 0,
  completionTokens: 0,
  costUsd: 0,
  latencyMs: 0,
});

function add(t: LlmTotals, r: LlmCallRecord): void {
  t.calls += 1;
  if (!r.ok) t.failures += 1;
  // Records from clients that do not split attempts count every extra attempt as a retry.
  t.retries += r.retries ?? Math.max(0, r.attempts - 1 - (r.repairs ?? 0));
  t.repairs += r.repairs ?? 0;
  t.attempts += r.attempts;
  t.toolCalls += r.toolCalls ?? 0;
  t.promptTokens += r.usage.promptTokens;
  t.completionTokens += r.usage.completionTokens;
  t.costUsd += r.usage.costUsd;
  t.latencyMs += r.latencyMs;
}

/**
 * One cycle's LLM use, aggregated from call records. Pass `accounting.listener` as (or inside) the
 * client's `onCall`; print `summary()` at the end of the cycle.
 */
export class LlmAccounting {
  private readonly totals = zero();
  private readonly agents = new Map<string, LlmTotals>();
  private readonly unpriced = new Set<string>();
  private readonly prices: LlmPriceTable;

  /** `prices` only decides which models count as unpriced; costs come from the records. */
  constructor(options: { prices?: LlmPriceTable } = {}) {
    this.prices = options.prices ?? DEFAULT_LLM_PRICES;
  }

  readonly listener: LlmCallListener = (record) => this.record(record);

  record(record: LlmCallRecord): void {
    add(this.totals, record);
    let agent = this.agents.get(record.agent);
    if (!agent) this.agents.set(record.agent, (agent = zero()));
    add(agent, record);
    if (!priceFor(record.model, this.prices).known) this.unpriced.add(record.model);
  }

  snapshot(): LlmAccountingSnapshot {
    return {
      ...this.totals,
      byAgent: Object.fromEntries([...this.agents].map(([name, t]) => [name, { ...t }])),
      unpricedModels: [...this.unpriced].sort(),
    };
  }

  /** One line for logs and CLI output. */
  summary(): string {
    const t = this.totals;
    const parts = [
      `LLM: ${t.calls} call${t.calls === 1 ? "" : "s"}`,
      `${t.failures} failed`,
      `${t.retries} retr${t.retries === 1 ? "y" : "ies"}`,
      `${t.repairs} re-ask${t.repairs === 1 ? "" : "s"}`,
      `${t.toolCalls} tool call${t.toolCalls === 1 ? "" : "s"}`,
      `${t.promptTokens} prompt + ${t.completionTokens} completion tokens`,
      `est. $${t.costUsd.toFixed(4)}${this.unpriced.size > 0 ? ` (fallback price for ${[...this.unpriced].sort().join(", ")})` : ""}`,
    ];
    return parts.join(", ");
  }
}

/** Fans one call record out to several listeners (audit log, accounting), in order. */
export function combineCallListeners(...listeners: Array<LlmCallListener | undefined>): LlmCallListener {
  return async (record) => {
    for (const listener of listeners) await listener?.(record);
  };
}
