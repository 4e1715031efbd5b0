import { z } from "zod";
import { renderMessages } from "../../prompts/registry.js";
import type { LlmClient } from "../llm/types.js";
import { runAgent, type AgentProvenance } from "../run-agent.js";

/** One measured comparison (segment × strategy) from the lift tool, reduced to what a readout needs. */
export interface LiftLine {
  group: string;
  treated: number;
  holdout: number;
  conversionTreated: number;
  conversionHoldout: number;
  conversionDiff: number;
  conversionCi: [number, number];
  revenueDiff: number;
  revenueCi: [number, number];
  unsubscribeDiff: number;
  significant: boolean;
  srmFlagged: boolean;
}

export interface Readout {
  headline: string;
  lines: string[];
}

const pts = (x: number) => `${x >= 0 ? "+" : ""}${(100 * x).toFixed(1)} pts`;
const money = (x: number) => `${x >= 0 ? "+" : "-"}${Math.abs(x).toFixed(2)}`;

export function readoutOffline(lines: readonly LiftLine[]): Readout {
  const sig = lines.filter((l) => l.significant && l.conversionDiff > 0);
  const harmful = lines.filter((l) => l.significant && l.conversionDiff < 0);
  const headline =
    lines.length === 0
      ? "Nothing to measure: no customer was assigned to a treatment or a holdout."
      : `${sig.length} of ${lines.length} campaigns lifted conversion significantly${harmful.length ? `, ${harmful.length} lowered it` : ""}.`;
  return {
    headline,
    lines: lines.map(
      (l) =>
        `${l.group}: conversion ${(100 * l.conversionTreated).toFixed(1)}% treated vs ${(100 * l.conversionHoldout).toFixed(1)}% holdout, ${pts(l.conversionDiff)} (95% CI ${pts(l.conversionCi[0])} to ${pts(l.conversionCi[1])})${l.significant ? ", significant" : ", not significant"}; revenue per customer ${money(l.revenueDiff)} (${money(l.revenueCi[0])} to ${money(l.revenueCi[1])}); unsubscribes ${pts(l.unsubscribeDiff)}; n = ${l.treated} / ${l.holdout}${l.srmFlagged ? "; SAMPLE RATIO MISMATCH: do not trust this comparison" : ""}`,
    ),
  };
}

const answerSchema = z.object({ headline: z.string().min(5).max(300), commentary: z.array(z.string().max(400)).max(10) });

/** The LLM may add words around the numbers; the per-campaign lines always come from the lift tool. */
export async function writeReadout(
  lines: readonly LiftLine[],
  deps: { llm?: LlmClient },
): Promise<{ readout: Readout; provenance: AgentProvenance }> {
  const offline = readoutOffline(lines);
  const { output, provenance } = await runAgent({
    agent: "measurement-analyst",
    llm: deps.llm,
    prompt: () => renderMessages("measurement-analyst", { lines: offline.lines }),
    schema: answerSchema,
    accept: (answer) => ({ headline: answer.headline, lines: [...offline.lines, ...answer.commentary] }),
    offline: () => offline,
  });
  return { readout: output, provenance };
}
