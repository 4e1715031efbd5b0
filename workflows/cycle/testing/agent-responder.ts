import { libraryContext, libraryTemplates } from "../../../agents/copywriter/index.js";
import type { SendingStrategy } from "../../../agents/copywriter/index.js";
import { lastUserMessage, type ChatRequest, type Responder } from "../../../evals/llm-test-server/server.js";

/**
 * Test support: a responder for the local OpenAI-compatible test server that answers the cycle's
 * agents the way a well-behaved model would, from their prompts alone: the segmentation analyst
 * with a description per segment id, the strategist with the best paying listed option id per
 * segment, the copywriter with QA-clean copy for the channel, strategy and offer it was asked for,
 * the measurement analyst with a headline.
 */
export type AgentName = "segmentation-analyst" | "strategist" | "copywriter" | "measurement-analyst" | "unknown";

export function agentOf(request: ChatRequest): AgentName {
  const system = request.messages.find((m) => m.role === "system");
  const text = typeof system?.content === "string" ? system.content : "";
  if (text.startsWith("You are the segmentation analyst")) return "segmentation-analyst";
  if (text.startsWith("You are the strategist")) return "strategist";
  if (text.startsWith("You are the copywriter")) return "copywriter";
  if (text.startsWith("You are the measurement analyst")) return "measurement-analyst";
  return "unknown";
}

/** Every message text of a request, for checks on what left the process. */
export function requestText(request: ChatRequest): string {
  return request.messages.map((m) => (typeof m.content === "string" ? m.content : JSON.stringify(m.content ?? ""))).join("\n");
}

export const LLM_DESCRIPTION_PREFIX = "As the model reads it:";

function describeSegments(user: string) {
  const segments = [...user.matchAll(/^- segmentId "([^"]+)", name "([^"]+)"/gm)].map(([, segmentId, name]) => ({
    segmentId: segmentId!,
    description: `${LLM_DESCRIPTION_PREFIX} ${name} form a group of their own in this customer base.`,
  }));
  return { segments };
}

function chooseOptions(user: string) {
  const choices: { segmentId: string; optionId: string | null; rationale: string }[] = [];
  let current: { segmentId: string; best: { optionId: string; net: number } | null } | undefined;
  const flush = () => {
    if (current)
      choices.push({
        segmentId: current.segmentId,
        optionId: current.best?.optionId ?? null,
        rationale: current.best ? "highest net value among the listed options" : "no listed option pays",
      });
  };
  for (const line of user.split("\n")) {
    const segment = /^Segment "([^"]+)"/.exec(line);
    if (segment) {
      flush();
      current = { segmentId: segment[1]!, best: null };
      continue;
    }
    const option = /optionId "([^"]+)": .*: (\d+) contacts, .* net (-?[\d.]+)\s*$/.exec(line);
    if (option && current) {
      const net = Number(option[3]);
      if (Number(option[2]) > 0 && net > 0 && (!current.best || net > current.best.net)) current.best = { optionId: option[1]!, net };
    }
  }
  flush();
  return { choices };
}

const CHANNEL_BY_PROMPT: [RegExp, "email" | "sms" | "push" | "in_app"][] = [
  [/- Channel: email\./, "email"],
  [/- Channel: SMS\./, "sms"],
  [/- Channel: push notification\./, "push"],
  [/- Channel: in-app message\./, "in_app"],
];

function writeCopy(system: string, user: string) {
  const channel = CHANNEL_BY_PROMPT.find(([re]) => re.test(system))?.[1];
  const strategy = /^Goal \((\w+)\):/m.exec(user)?.[1] as SendingStrategy | undefined;
  const count = Number(/^Write (\d+) variants for this segment\./m.exec(user)?.[1] ?? "0");
  const percent = /The approved offer is exactly ([\d.]+)% off/.exec(system)?.[1];
  const brand = /^You are the copywriter of (.+), a retailer\./m.exec(system)?.[1] ?? "the shop";
  if (!channel || !strategy || count < 1) throw new Error("copywriter prompt not understood");
  const context = libraryContext(percent ? Number(percent) / 100 : 0, brand);
  const variants = libraryTemplates(strategy, channel)
    .slice(0, count)
    .map((t) => t.build(context) as Record<string, string>);
  return { variants };
}

/** Answers each agent's prompt with valid JSON; anything else gets an error the client can see. */
export function agentResponder(): Responder {
  return (request) => {
    const user = lastUserMessage(request);
    const system = String(request.messages.find((m) => m.role === "system")?.content ?? "");
    switch (agentOf(request)) {
      case "segmentation-analyst":
        return { kind: "json", value: describeSegments(user) };
      case "strategist":
        return { kind: "json", value: chooseOptions(user) };
      case "copywriter":
        return { kind: "json", value: writeCopy(system, user) };
      case "measurement-analyst":
        return { kind: "json", value: { headline: `${LLM_DESCRIPTION_PREFIX} the lift readout, summed up.`, commentary: [] } };
      default:
        return { kind: "error", status: 400, message: "the test responder does not know this agent" };
    }
  };
}
