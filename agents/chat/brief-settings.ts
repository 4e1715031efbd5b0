import type { PlanCampaignParams } from "./params.js";
import type { CampaignBrief, CycleSettings, CycleSettingsInput } from "../../workflows/cycle/settings.js";

/**
 * A brief → the settings of the cycle that plans it (pure). The brief can only narrow what the
 * base settings allow: its discount cap is at most the base cap, its channels a subset of the base
 * channels (none left is an error the caller reports), and offer depths above the cap are dropped.
 */
export function briefToSettings(params: PlanCampaignParams, base: CycleSettings): CycleSettingsInput {
  const maxDiscount = params.max_discount === undefined ? base.maxDiscount : Math.min(params.max_discount, base.maxDiscount);
  const channels = params.channels ? base.channels.filter((c) => params.channels!.includes(c)) : base.channels;
  if (channels.length === 0)
    throw new BriefError(`none of the channels asked for (${params.channels!.join(", ")}) is allowed by the cycle settings`);
  const offerDepths = base.offerDepths.filter((d) => d <= maxDiscount + 1e-9);
  const brief: CampaignBrief = {
    ...(params.strategy ? { strategy: params.strategy } : {}),
    ...(params.category ? { category: params.category } : {}),
    ...(params.audience ? { audience: params.audience } : {}),
    ...(params.window ? { window: params.window } : {}),
    ...(params.budget !== undefined ? { budget: params.budget } : {}),
  };
  return { ...base, maxDiscount, channels, offerDepths: offerDepths.length ? offerDepths : [0], brief };
}

export class BriefError extends Error {
  override readonly name = "BriefError";
}
