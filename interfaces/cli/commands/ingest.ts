import type { Command } from "commander";

// Placeholder until this command is written; it registers nothing.
export function registerIngestCommand(_program: Command): void {}
