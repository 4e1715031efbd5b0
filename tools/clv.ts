import type { StructuredToolInterface } from "@langchain/core/tools";
import { z } from "zod";
import { clvInputSchema, clvOutputSchema, computeClv, type ClvCustomer } from "./clv-model.js";
import { defineTool, toLangChainTool } from "./define-tool.js";

/** The CLV model (BG/NBD + Gamma-Gamma, see clv-model.ts) as a tool agents can call. */

export * from "./clv-model.js";

export const clvTool = defineTool({
  name: "clv",
  description:
    "Customer lifetime value (BG/NBD + Gamma-Gamma). Given per-customer repeat purchases x, recency tx and age T in weeks " +
    "(and mean repeat spend), returns each customer's expected purchases over the horizon, probability of being alive, " +
    "expected spend per purchase and discounted CLV, plus the fitted model parameters.",
  input: clvInputSchema,
  output: clvOutputSchema,
  fn: (input) => computeClv(input),
});

export interface ClvToolDeps {
  /** Loads the calibration summaries of a segment (or of everyone), so the agent passes ids, not data. */
  loadCustomers?: (segmentId: string | undefined) => Promise<ClvCustomer[]>;
}

/** What an agent passes when the tool loads the customers itself. */
export const clvAgentArgsSchema = z.object({
  segmentId: z.string().min(1).max(128).optional().describe("Segment to score; all customers when omitted"),
  horizonWeeks: z.number().positive().max(520).default(52).describe("Weeks ahead"),
  margin: z.number().min(0).max(1).default(1).describe("Gross margin as a fraction of spend"),
  annualDiscountRate: z.number().min(0).max(1).default(0.1).describe("Annual discount rate"),
});

export function createClvTool(deps: ClvToolDeps = {}): StructuredToolInterface {
  const { loadCustomers } = deps;
  if (!loadCustomers) return toLangChainTool(clvTool);
  return toLangChainTool(clvTool, {
    schema: clvAgentArgsSchema,
    adapt: async (args) => {
      const parsed = clvAgentArgsSchema.parse(args);
      return {
        customers: await loadCustomers(parsed.segmentId),
        horizonWeeks: parsed.horizonWeeks,
        margin: parsed.margin,
        annualDiscountRate: parsed.annualDiscountRate,
      };
    },
  });
}
