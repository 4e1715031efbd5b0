/**
 * The cycle's records used to live here; they are now split by table group. This module only
 * re-exports them so code written against it keeps compiling: import from the modules named below.
 */
export * from "./cycles-repo.js";
export * from "./segments-repo.js";
export * from "./targets-repo.js";
export * from "./messages-repo.js";
export { armCounts, measureOutcomes, outcomeRecords, saveAssignments, type OutcomeRecord } from "./experiments-repo.js";
export { consentsInForce, type ConsentRecord } from "./history-repo.js";
