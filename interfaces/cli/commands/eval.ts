import type { Command } from "commander";
import { registerEvalAll } from "./eval-all.js";
import { registerEvalChat } from "./eval-chat.js";
import { registerEvalClv } from "./eval-clv.js";
import { registerEvalOpe } from "./eval-ope.js";
import { registerEvalLoop } from "./eval-loop.js";
import { registerEvalFatigue } from "./eval-fatigue.js";
import { registerEvalRecommend } from "./eval-recommend.js";
import { registerEvalUplift } from "./eval-uplift.js";

export function registerEvalCommands(program: Command): void {
  const evalCmd = program.command("eval").description("Evaluate Pulse's decision tools on real public data and on the simulator");
  registerEvalClv(evalCmd);
  registerEvalUplift(evalCmd);
  registerEvalChat(evalCmd);
  registerEvalAll(evalCmd);
  registerEvalOpe(evalCmd);
  registerEvalLoop(evalCmd);
  registerEvalRecommend(evalCmd);
  registerEvalFatigue(evalCmd);
}
