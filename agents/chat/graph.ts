import type { BaseCheckpointSaver } from "@langchain/langgraph";
import { END, START, StateGraph } from "@langchain/langgraph";
import type { ChatAgentDeps, ChatCycles } from "./configuration.js";
import { actNode } from "./nodes/act.js";
import { refuseNode, routeAfterUnderstand } from "./nodes/authorize.js";
import { recordNode } from "./nodes/record.js";
import { understandNode } from "./nodes/understand.js";
import { ChatState } from "./state.js";

/** understand → (act | refuse) → record: one run per request, one thread per conversation. */
export function buildChatGraph(deps: ChatAgentDeps, cycles: () => Promise<ChatCycles>) {
  return new StateGraph(ChatState)
    .addNode("understand", (s) => understandNode(s, deps))
    .addNode("act", (s) => actNode(s, deps, cycles))
    .addNode("refuse", refuseNode)
    .addNode("record", (s) => recordNode(s, deps))
    .addEdge(START, "understand")
    .addConditionalEdges("understand", routeAfterUnderstand, ["act", "refuse"])
    .addEdge("act", "record")
    .addEdge("refuse", "record")
    .addEdge("record", END);
}

export function compileChatGraph(deps: ChatAgentDeps, cycles: () => Promise<ChatCycles>, checkpointer: BaseCheckpointSaver) {
  return buildChatGraph(deps, cycles).compile({ checkpointer });
}
export type ChatGraph = ReturnType<typeof compileChatGraph>;
