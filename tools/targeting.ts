import { z } from "zod";
import {
  CHANNELS,
  channelSchema,
  fatigueStrategySchema,
  NO_CONTACT_STRATEGIES,
  STRATEGIES,
  strategySchema,
  type Strategy,
} from "../core/domain.js";
import { defineTool, toLangChainTool } from "./define-tool.js";

/**
 * Per-customer targeting: contact only customers whose predicted uplift pays for the message and
 * the offer, whose fatigue allows it and whose planned channel is not backed off. Every skip
 * carries a reason code so the audit can say why someone was not contacted.
 */

export { NO_CONTACT_STRATEGIES, STRATEGIES, strategySchema, type Strategy };

export const SKIP_CODES = ["strategy_no_contact", "fatigue_cooldown", "channel_backed_off", "sleeping_dog", "uplift_does_not_pay"] as const;

/** Cost of one message per channel, in currency units (defaults: typical ESP / SMS gateway prices). */
export const DEFAULT_MESSAGE_COST: Record<(typeof CHANNELS)[number], number> = { email: 0.002, sms: 0.02, push: 0.001, in_app: 0 };

export const targetingCustomerSchema = z.object({
  customerId: z.string().min(1),
  /** Incremental purchase probability in the period if contacted (may be negative). */
  predictedUplift: z.number().finite(),
  /** Probability of buying anyway in the period (used for the cost of the discount given to sure things). */
  baselinePurchaseProbability: z.number().min(0).max(1),
  /** Expected order value and margin rate, from the customer's history (or the segment's when none). */
  expectedOrderValue: z.number().min(0),
  marginRate: z.number().min(0).max(1),
  /** Base strategy from the fatigue tool (cooldown overrides the plan). */
  fatigueStrategy: fatigueStrategySchema,
  allowedChannels: z.array(channelSchema),
  /**
   * Probability that a purchase the customer would make anyway uses the message's offer: only a
   * customer who engages with the message (opens it, taps it) sees its code. Default 1: every
   * purchase in the period is discounted.
   */
  redemptionProbability: z.number().min(0).max(1).optional(),
  /**
   * Margin after the period that a purchase the contact causes is worth on top of its own order:
   * a customer who would otherwise have lapsed is kept (or won back) and buys again
   * (tools/targeting.ts retainedMargin). Default 0: one period's order only.
   */
  retainedMargin: z.number().min(0).optional(),
});

export const targetingInputSchema = z.object({
  strategy: strategySchema,
  channel: channelSchema,
  offerDepth: z.number().min(0).max(0.9),
  messageCost: z.record(z.string(), z.number().min(0)).default(DEFAULT_MESSAGE_COST),
  /** Required expected value per message above zero (a margin of safety). */
  minExpectedValue: z.number().default(0),
  customers: z.array(targetingCustomerSchema),
});

export const targetingDecisionSchema = z.object({
  customerId: z.string(),
  decision: z.enum(["contact", "skip"]),
  expectedValue: z.number(),
  reasons: z.array(z.object({ code: z.string(), message: z.string() })),
});
export const targetingOutputSchema = z.object({
  decisions: z.array(targetingDecisionSchema),
  contacts: z.number().int(),
  expectedIncrementalMargin: z.number(),
  expectedCost: z.number(),
  skipped: z.record(z.string(), z.number().int()),
});
export type TargetingInput = z.input<typeof targetingInputSchema>;
export type TargetingOutput = z.infer<typeof targetingOutputSchema>;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

/**
 * What an incremental purchase is worth after the period it happens in: with probability
 * 1 − P(alive) the customer had lapsed and the purchase revives them, and a live customer makes
 * expectedPurchases ÷ P(alive) purchases over the CLV horizon (BG/NBD: E[Y | history] = P(alive) ×
 * E[Y | alive]); counted over the retention horizon only, at the customer's full margin (later
 * orders carry no offer). 0 for a customer surely alive or a zero horizon.
 */
export function retainedMargin(c: {
  pAlive: number;
  /** Expected purchases over the CLV horizon (BG/NBD, already weighted by P(alive)). */
  expectedPurchases: number;
  clvHorizonWeeks: number;
  retentionHorizonWeeks: number;
  expectedOrderValue: number;
  marginRate: number;
}): number {
  if (!(c.clvHorizonWeeks > 0) || !(c.retentionHorizonWeeks > 0)) return 0;
  const pAlive = Math.min(1, Math.max(0, c.pAlive));
  // P(alive) floored so a near-certainly lapsed customer's rate stays finite.
  const purchasesIfAlive =
    (Math.max(0, c.expectedPurchases) * Math.min(1, c.retentionHorizonWeeks / c.clvHorizonWeeks)) / Math.max(0.02, pAlive);
  return (1 - pAlive) * purchasesIfAlive * c.expectedOrderValue * Math.max(0, c.marginRate);
}

/**
 * Expected value of one contact: incremental margin from the uplift (its order, plus the margin a
 * kept or revived customer brings after the period), minus the message cost and
 * the discount given on every order the contact leads to (including orders that would have
 * happened anyway and now use the message's code: the cost of discounting sure things).
 */
export function expectedContactValue(
  c: z.infer<typeof targetingCustomerSchema>,
  offerDepth: number,
  messageCost: number,
): { value: number; incrementalMargin: number; cost: number } {
  const discountedMarginRate = Math.max(c.marginRate - offerDepth, -1);
  const incrementalMargin = c.predictedUplift * (c.expectedOrderValue * discountedMarginRate + (c.retainedMargin ?? 0));
  const discountOnSureThings = c.baselinePurchaseProbability * (c.redemptionProbability ?? 1) * c.expectedOrderValue * offerDepth;
  const cost = messageCost + discountOnSureThings;
  return { value: incrementalMargin - cost, incrementalMargin, cost };
}

export function planTargets(raw: TargetingInput): TargetingOutput {
  return targetingOutputSchema.parse(planTargetsUnchecked(targetingInputSchema.parse(raw)));
}

/**
 * planTargets for an input already known to be valid, every default filled in, its output not checked
 * again: the planner's, built from the store's typed rows, for every customer of every group.
 */
export function planTargetsUnchecked(input: z.output<typeof targetingInputSchema>): TargetingOutput {
  const skipped: Record<string, number> = {};
  let contacts = 0;
  let margin = 0;
  let costs = 0;
  const noContact = NO_CONTACT_STRATEGIES.includes(input.strategy);
  const msgCost = input.messageCost[input.channel] ?? 0;
  const decisions = input.customers.map((c) => {
    const reasons: { code: string; message: string }[] = [];
    const ev = expectedContactValue(c, input.offerDepth, msgCost);
    if (noContact)
      reasons.push({ code: "strategy_no_contact", message: `the segment's strategy is ${input.strategy}: no message this cycle` });
    else {
      if (c.fatigueStrategy === "cooldown") reasons.push({ code: "fatigue_cooldown", message: "fatigue above the cool-down threshold" });
      if (!c.allowedChannels.includes(input.channel))
        reasons.push({
          code: "channel_backed_off",
          message: `${input.channel} is backed off for this customer (unanswered streak, unsubscribe or bounce)`,
        });
      if (c.predictedUplift < 0)
        reasons.push({
          code: "sleeping_dog",
          message: `predicted uplift ${pct(c.predictedUplift)} is negative: contact would lower purchases`,
        });
      // Not `<=`: a value that is not a number (an input no schema checked) must not pay either.
      else if (!(ev.value > input.minExpectedValue)) {
        reasons.push({
          code: "uplift_does_not_pay",
          message: `predicted uplift ${pct(c.predictedUplift)} is worth ${ev.incrementalMargin.toFixed(2)} in margin, less than the cost ${ev.cost.toFixed(2)} (message and discount)`,
        });
      }
    }
    const decision = reasons.length === 0 ? ("contact" as const) : ("skip" as const);
    if (decision === "contact") {
      contacts++;
      margin += ev.incrementalMargin;
      costs += ev.cost;
    } else skipped[reasons[0]!.code] = (skipped[reasons[0]!.code] ?? 0) + 1;
    return { customerId: c.customerId, decision, expectedValue: ev.value, reasons };
  });
  return { decisions, contacts, expectedIncrementalMargin: margin, expectedCost: costs, skipped };
}

export const targetingTool = defineTool({
  name: "plan_targets",
  description:
    "Decide which customers of a segment to contact with a given strategy, channel and offer depth: contact only when predicted uplift pays for the message and discount, fatigue allows and the channel is not backed off. Returns a decision and reasons per customer.",
  input: targetingInputSchema,
  output: targetingOutputSchema,
  fn: planTargets,
});

export function createTargetingTool() {
  return toLangChainTool(targetingTool);
}

// --- cold-start prior -----------------------------------------------------------------------

export const priorInputSchema = z.object({
  strategy: strategySchema,
  offerDepth: z.number().min(0).max(0.9),
  /** Engagement on the planned channel in [0, 1] (from the fatigue tool). */
  channelEngagement: z.number().min(0).max(1),
  /** Share of past spend bought on discount, in [0, 1]. */
  discountShare: z.number().min(0).max(1),
  /** Days since last purchase over the usual inter-purchase time (>1 = overdue). */
  overdueRatio: z.number().min(0),
  /** Probability of buying anyway in the period. */
  baselinePurchaseProbability: z.number().min(0).max(1),
  fatigue: z.number().min(0).max(1),
});

/**
 * The uplift Pulse assumes before it has randomized evidence of its own for a strategy: small,
 * proportional to engagement with the channel, larger for overdue customers on win-back and for
 * discount-driven customers when there is an offer, near zero for sure things, and negative when
 * fatigue is high. Documented as a prior: the learn step replaces it with models trained on
 * Pulse's holdouts.
 */
export function priorUplift(raw: z.input<typeof priorInputSchema>): number {
  return priorUpliftUnchecked(priorInputSchema.parse(raw));
}

/** The same, without validation, for loops over millions of (customer, option) pairs whose inputs are already checked. */
export function priorUpliftUnchecked(p: z.infer<typeof priorInputSchema>): number {
  if (NO_CONTACT_STRATEGIES.includes(p.strategy)) return 0;
  const room = 1 - p.baselinePurchaseProbability;
  const overdue = Math.min(p.overdueRatio, 4) / 4;
  const byStrategy: Record<Strategy, number> = {
    targeted_promo: 0.03 + 0.25 * p.offerDepth * (0.3 + p.discountShare),
    reengage: 0.02 + 0.03 * overdue,
    winback: 0.015 + 0.05 * overdue + 0.15 * p.offerDepth * p.discountShare,
    cross_sell: 0.025,
    cooldown: 0,
    suppress: 0,
  };
  const response = byStrategy[p.strategy] * (0.3 + 1.4 * p.channelEngagement) * room;
  return response - 0.04 * Math.max(0, p.fatigue - 0.5);
}
