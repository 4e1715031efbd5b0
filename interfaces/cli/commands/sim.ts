import type { Command } from "commander";

// Placeholder until this command is written; it registers nothing.
export function registerSimCommands(_program: Command): void {}
