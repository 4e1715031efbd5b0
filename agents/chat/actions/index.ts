import type { Intent } from "../contract.js";
import { auditExport, auditVerify, explainCustomer } from "./audit.js";
import type { ChatAction } from "./context.js";
import { approve, cycleResults, explainSegment, planCampaign, reject, segmentsOverview, showPlan, startCycle } from "./cycles.js";
import { help, unknown } from "./help.js";
import { pause, resume } from "./pauses.js";

/** What the agent does for each intent. */
export const ACTIONS: Record<Intent, ChatAction> = {
  segments_overview: segmentsOverview,
  start_cycle: startCycle,
  plan_campaign: planCampaign,
  show_plan: showPlan,
  approve,
  reject,
  explain_segment: explainSegment,
  explain_customer: explainCustomer,
  cycle_results: cycleResults,
  pause,
  resume,
  audit_export: auditExport,
  audit_verify: auditVerify,
  help,
  unknown,
};
