import type { Command } from "commander";

// Placeholder until this command is written; it registers nothing.
export function registerEvalUplift(_program: Command): void {}
