import type { Command } from "commander";

// Placeholder until this command is written; it registers nothing.
export function registerEvalClv(_program: Command): void {}
