import { z } from "zod";

export type JsonAnswer<T> = { ok: true; value: T } | { ok: false; problem: string };

const MAX_PROBLEM_CHARS = 600;
const FENCED = /^```(?:json)?\s*\n?([\s\S]*?)\n?```$/i;

function clip(text: string): string {
  return text.length > MAX_PROBLEM_CHARS ? `${text.slice(0, MAX_PROBLEM_CHARS)}…` : text;
}

/**
 * Parses a model's answer as JSON and validates it with the schema. A Markdown code fence around
 * the JSON is tolerated (models add one when JSON mode is unavailable). `problem` is written for
 * the model: it is appended to the re-ask.
 */
export function parseJsonAnswer<S extends z.ZodType>(content: string | null | undefined, schema: S): JsonAnswer<z.infer<S>> {
  if (content === null || content === undefined || content.trim() === "") {
    return { ok: false, problem: "The answer was empty; a JSON object was expected." };
  }
  const trimmed = content.trim();
  const body = FENCED.exec(trimmed)?.[1] ?? trimmed;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (err) {
    return { ok: false, problem: clip(`The answer was not valid JSON (${(err as Error).message}).`) };
  }
  const result = schema.safeParse(parsed);
  if (!result.success) {
    return { ok: false, problem: clip(`The JSON did not match the required schema:\n${z.prettifyError(result.error)}`) };
  }
  return { ok: true, value: result.data as z.infer<S> };
}

/** The instruction appended after an invalid answer, so the model can correct itself. */
export function repairInstruction(problem: string): string {
  return `${problem}\nReply again with only the corrected JSON object, no prose and no code fence.`;
}
