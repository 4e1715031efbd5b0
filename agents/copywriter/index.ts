/** The copywriter agent: LLM copy with an offline policy twin, per-customer rendering, content QA. */
export { composeCopy, composeCopyInputSchema, AGENT_NAME, DEFAULT_MAX_REGENERATIONS, MAX_VARIANTS } from "./compose-copy.js";
export type {
  ComposeCopyInput,
  ComposeCopyResult,
  CopyCache,
  CopyIssue,
  LlmCopyAnswer,
  RejectedVariant,
  ReplacedVariant,
  SegmentCopy,
} from "./compose-copy.js";
export { chooseVariant, type VariantChoiceKey } from "./choose-variant.js";
export { renderMessage, renderChecked, FIRST_NAME_FALLBACK } from "./render.js";
export type { CustomerVars, RenderedMessage, RenderableVariant, CheckedRender, RenderOptions } from "./render.js";
export { buildCopyPrompt, COPYWRITER_PROMPT_ID, STRATEGY_BRIEFS, type CopyPrompt, type CopyPromptInput } from "./prompt.js";
export { OFFLINE_LIBRARY, libraryTemplates, libraryContext, libraryVariantId } from "./library/index.js";
export { CopyRenderError } from "./errors.js";
export * from "./types.js";
export {
  checkContent,
  formatPercent,
  type ContentQaVerdict,
  type ContentQaIssue,
  type ContentQaCode,
} from "../../guardrails/content-qa.js";
export { CHANNEL_FIELD_SCHEMAS, CHANNEL_LIMITS, SMS_STOP_TEXT, type ChannelFields } from "../../guardrails/content-qa-channels.js";
