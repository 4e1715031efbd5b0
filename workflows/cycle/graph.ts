import { END, START, StateGraph, type BaseCheckpointSaver } from "@langchain/langgraph";
import type { CycleDeps } from "./deps.js";
import { activateNode } from "./nodes/activate.js";
import { approveNode } from "./nodes/approve.js";
import { composeNode } from "./nodes/compose.js";
import { learnNode } from "./nodes/learn.js";
import { awaitWindowNode, measureNode } from "./nodes/measure.js";
import { planNode } from "./nodes/plan.js";
import { refreshNode } from "./nodes/refresh.js";
import { rejectedNode } from "./nodes/rejected.js";
import { reviewNode } from "./nodes/review.js";
import { cycleStateSchema, type CycleState } from "./state.js";

/** After review: straight on when the plan was auto-approved by policy, else to the human gate. */
export function routeAfterApproval(state: CycleState): "activate" | "rejected" {
  return state.approval?.decision === "approved" ? "activate" : "rejected";
}

/**
 * refresh → plan → compose → review → approve → activate → (attribution window) → measure → learn.
 * (Nodes whose plain name is also a state key carry a longer one: LangGraph forbids the clash.)
 * The builder is exported apart from compilation so tests can compile it with any checkpointer.
 */
export function buildCycleGraph(deps: CycleDeps) {
  return new StateGraph(cycleStateSchema)
    .addNode("refresh_segments", (s: CycleState) => refreshNode(s, deps))
    .addNode("plan_campaigns", (s: CycleState) => planNode(s, deps))
    .addNode("compose", (s: CycleState) => composeNode(s, deps))
    .addNode("review_plan", (s: CycleState) => reviewNode(s, deps))
    .addNode("approve", (s: CycleState) => approveNode(s, deps))
    .addNode("activate", (s: CycleState) => activateNode(s, deps))
    .addNode("rejected", (s: CycleState) => rejectedNode(s, deps))
    .addNode("await_window", (s: CycleState) => awaitWindowNode(s))
    .addNode("measure", (s: CycleState) => measureNode(s, deps))
    .addNode("learn_uplift", (s: CycleState) => learnNode(s, deps))
    .addEdge(START, "refresh_segments")
    .addEdge("refresh_segments", "plan_campaigns")
    .addEdge("plan_campaigns", "compose")
    .addEdge("compose", "review_plan")
    .addEdge("review_plan", "approve")
    .addConditionalEdges("approve", routeAfterApproval, ["activate", "rejected"])
    .addEdge("rejected", END)
    .addEdge("activate", "await_window")
    .addEdge("await_window", "measure")
    .addEdge("measure", "learn_uplift")
    .addEdge("learn_uplift", END);
}

export function compileCycleGraph(deps: CycleDeps, checkpointer: BaseCheckpointSaver) {
  return buildCycleGraph(deps).compile({ checkpointer });
}
export type CycleGraph = ReturnType<typeof compileCycleGraph>;
