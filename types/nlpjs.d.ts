// Minimal declarations for the parts of NLP.js (CommonJS, untyped) that Pulse uses.
declare module "@nlpjs/core" {
  export interface Container {
    use(plugin: unknown): void;
  }
  export function containerBootstrap(): Promise<Container>;
}
declare module "@nlpjs/lang-en-min" {
  export const LangEn: unknown;
}
declare module "@nlpjs/nlu" {
  import type { Container } from "@nlpjs/core";
  export interface NluResult {
    classifications: Array<{ intent: string; score: number }>;
  }
  export class NluNeural {
    constructor(settings: { locale: string; container: Container; log?: boolean; useNoneFeature?: boolean });
    train(corpus: Array<{ utterance: string; intent: string }>): Promise<unknown>;
    process(utterance: string): Promise<NluResult>;
  }
}
declare module "@nlpjs/similarity" {
  export function leven(a: string, b: string): number;
}
