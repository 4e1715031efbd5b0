import type { Command } from "commander";

// Placeholder until this command is written; it registers nothing.
export function registerEvalAll(_program: Command): void {}
