import { tool, type StructuredToolInterface } from "@langchain/core/tools";
import type { z } from "zod";

/**
 * A deterministic decision tool: a pure function with zod schemas at both ends, a name and a
 * description an LLM can use. `run` validates its input and its output, so a tool never hands a
 * caller something its schema does not promise.
 */
export interface ToolDefinition<I extends z.ZodType, O extends z.ZodType> {
  name: string;
  description: string;
  input: I;
  output: O;
  run: (input: z.input<I>) => z.infer<O>;
}

export function defineTool<I extends z.ZodType, O extends z.ZodType>(def: {
  name: string;
  description: string;
  input: I;
  output: O;
  fn: (input: z.infer<I>) => z.infer<O>;
}): ToolDefinition<I, O> {
  return {
    name: def.name,
    description: def.description,
    input: def.input,
    output: def.output,
    run: (raw) => def.output.parse(def.fn(def.input.parse(raw))) as z.infer<O>,
  };
}

/**
 * Exposes a tool to LangChain agents. `adapt` lets a factory bind dependencies (data loaders,
 * configuration) so the agent passes only what it should choose; by default the agent passes the
 * tool's full input. Results go back to the model as JSON.
 */
export function toLangChainTool<I extends z.ZodType, O extends z.ZodType, A extends z.ZodObject = z.ZodObject>(
  def: ToolDefinition<I, O>,
  options: { schema?: A; adapt?: (args: z.infer<A>) => Promise<z.input<I>> | z.input<I> } = {},
): StructuredToolInterface {
  const schema = (options.schema ?? def.input) as z.ZodObject;
  return tool(
    async (args: unknown) => {
      const input = options.adapt ? await options.adapt(args as z.infer<A>) : (args as z.input<I>);
      return JSON.stringify(def.run(input));
    },
    { name: def.name, description: def.description, schema },
  ) as unknown as StructuredToolInterface;
}
