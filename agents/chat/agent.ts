import { PostgresSaver } from "@langchain/langgraph-checkpoint-postgres";
import { actorSchema } from "../../core/roles.js";
import type { ChatAgentDeps, ChatCycles } from "./configuration.js";
import type { ChatAgent, ChatReply, ChatRequest } from "./contract.js";
import { compileChatGraph } from "./graph.js";

/**
 * The conversational agent: a LangGraph graph checkpointed in Pulse's database (the same pool and
 * schema as the cycles), one thread per conversation. The cycle machinery is opened on the first
 * request that needs it and closed with the agent.
 */
export async function createChatAgent(deps: ChatAgentDeps): Promise<ChatAgent> {
  const checkpointer = new PostgresSaver(deps.db.pool, undefined, { schema: deps.db.schema });
  await checkpointer.setup();
  let opened: Promise<ChatCycles> | undefined;
  const cycles = () => (opened ??= deps.openCycles());
  const graph = compileChatGraph(deps, cycles, checkpointer);

  return {
    async handle(request: ChatRequest): Promise<ChatReply> {
      const actor = actorSchema.parse(request.actor);
      const final = await graph.invoke(
        {
          input: {
            text: request.text,
            actorId: actor.id,
            role: actor.role,
            ...(actor.name ? { actorName: actor.name } : {}),
            via: request.via,
            ...(request.source ? { source: request.source } : {}),
            threadId: request.threadId,
            at: deps.clock.now().toISOString(),
          },
        },
        { configurable: { thread_id: `chat:${request.threadId}` } },
      );
      const u = final.understood!;
      const o = final.outcome!;
      return { intent: u.intent, params: u.params, understoodBy: u.understoodBy, ...o.reply };
    },
    async close() {
      if (opened) await (await opened).close();
    },
  };
}
