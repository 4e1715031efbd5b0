import { done, type ChatAction } from "./context.js";

export const HELP_TEXT = [
  "I run Pulse's marketing cycles for you. You can ask me to:",
  '- show the segments: "how are the segments doing?"',
  '- start a cycle: "refresh now"',
  '- plan a campaign from a brief: "win back lapsed high-value grocery shoppers this week, at most 15% off, by email, budget $5k"',
  '- show the plan, approve or reject it (someone other than the requester decides): "approve", "reject c-... because ..."',
  '- explain a segment or a customer: "why is seg-4 on cool-down?", "why did C000123 get this SMS?"',
  '- report results: "what did the last cycle deliver?"',
  '- pause or resume sends: "pause all SMS until Monday", "resume email"',
  '- export or verify the audit log: "export last quarter\'s audit log as csv", "verify the audit log"',
  "Every number I give comes from Pulse's tools, and everything I do is in the audit log.",
].join("\n");

export const help: ChatAction = async () => done(HELP_TEXT);

export const unknown: ChatAction = async () => done(`Sorry, I did not understand that.\n${HELP_TEXT}`);
