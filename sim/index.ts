/**
 * The simulated retailer: history generation and time stepping. The latent truth is deliberately not
 * exported here; evaluations import it from sim/ground-truth.ts.
 */
export { ARCHETYPES, ARCHETYPE_LABELS, DEFAULT_ARCHETYPE_MIX, normalizeMix, type Archetype, type ArchetypeMix } from "./archetypes.js";
export { generateWorld, type GenerateWorldOptions, type GenerateWorldResult } from "./generate-world.js";
export { writeStepFiles, STEP_FILE_KINDS, type StepFileKind, type StepFiles } from "./step-files.js";
export {
  OFFER_DEPTHS,
  RESPONSE_WINDOW_DAYS,
  SENDING_STRATEGIES,
  STRATEGIES,
  simMessageSchema,
  type SimMessage,
  type SimMessageInput,
  type Strategy,
} from "./strategies.js";
export { World, stepInputSchema, type CreateWorldOptions, type StepInput, type StepResult, type UndeliveredReason } from "./world.js";
export { loadWorld, readWorldManifest, worldManifestSchema, MANIFEST_FILE, type WorldManifest } from "./world-manifest.js";
export { DEFAULT_START, resolveWorldParams, worldParamsSchema, type WorldParams, type WorldParamsInput } from "./world-params.js";
