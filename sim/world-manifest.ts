import { readFile, stat } from "node:fs/promises";
import { join } from "node:path";
import { z } from "zod";
import { InputError } from "../core/errors.js";
import { ARCHETYPES } from "./archetypes.js";
import { World, type CreateWorldOptions } from "./world.js";

export const MANIFEST_FILE = "manifest.json";

const kinds = z.object({ customers: z.number(), consents: z.number(), orders: z.number(), events: z.number(), responses: z.number() });

export const worldManifestSchema = z.object({
  generator: z.literal("pulse-sim"),
  formatVersion: z.literal(1),
  seed: z.number().int(),
  params: z.object({
    customers: z.number().int(),
    seed: z.number().int(),
    start: z.string(),
    months: z.number().int(),
    archetypeMix: z.record(z.enum(ARCHETYPES), z.number()),
  }),
  historyStart: z.string(),
  /** The simulated "now": the end of history. */
  now: z.string(),
  responseWindowDays: z.number(),
  files: z.object({ customers: z.string(), consents: z.string(), orders: z.string(), events: z.string(), responses: z.string() }),
  rowCounts: kinds,
});
export type WorldManifest = z.infer<typeof worldManifestSchema>;

export async function readWorldManifest(dirOrFile: string): Promise<WorldManifest> {
  const path = (await stat(dirOrFile).catch(() => undefined))?.isDirectory() ? join(dirOrFile, MANIFEST_FILE) : dirOrFile;
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(path, "utf8"));
  } catch (err) {
    throw new InputError(`cannot read simulator manifest ${path}`, { cause: err });
  }
  const parsed = worldManifestSchema.safeParse(raw);
  if (!parsed.success) throw new InputError(`${path} is not a simulator manifest: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** Rebuilds, from a generated directory's manifest, the world as it stood at the end of its history. */
export async function loadWorld(dirOrFile: string, options: CreateWorldOptions = {}): Promise<World> {
  const manifest = await readWorldManifest(dirOrFile);
  return World.create(manifest.params, { onProgress: options.onProgress });
}
