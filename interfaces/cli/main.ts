import { Command } from "commander";
import { registerAuditCommands } from "./commands/audit.js";
import { registerChatCommand } from "./commands/chat.js";
import { registerCycleCommands } from "./commands/cycle.js";
import { registerCycleSweepCommand } from "./commands/cycle-sweep.js";
import { registerDbCommands } from "./commands/db.js";
import { registerDeliveriesCommands } from "./commands/deliveries.js";
import { registerDemoCommand } from "./commands/demo.js";
import { registerEvalCommands } from "./commands/eval.js";
import { registerIngestCommand } from "./commands/ingest.js";
import { registerPolicyCommands } from "./commands/policy.js";
import { registerServeCommand } from "./commands/serve.js";
import { registerSimCommands } from "./commands/sim.js";
import { registerTokenCommands } from "./commands/token.js";
import { registerWorkerCommand } from "./commands/worker.js";

const program = new Command()
  .name("pulse")
  .description(
    "Pulse: an autonomous marketing worker for retailers.\nConfiguration comes from the environment (see README: DATABASE_URL, REDIS_URL, OPENAI_API_KEY, ...).",
  )
  .showHelpAfterError("(run with --help for usage)")
  .exitOverride((err) => {
    // --help and --version exit 0; usage errors exit 2.
    process.exit(err.exitCode === 0 ? 0 : 2);
  });

registerDemoCommand(program);
registerSimCommands(program);
registerIngestCommand(program);
registerCycleCommands(program);
registerCycleSweepCommand(program);
registerDbCommands(program);
registerEvalCommands(program);
registerAuditCommands(program);
registerWorkerCommand(program);
registerPolicyCommands(program);
registerChatCommand(program);
registerServeCommand(program);
registerTokenCommands(program);
registerDeliveriesCommands(program);

await program.parseAsync(process.argv);
