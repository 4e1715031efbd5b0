import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import Handlebars from "handlebars";
import { NotFoundError } from "../core/errors.js";

/**
 * Prompt templates are versioned files: prompts/templates/<id>.v<version>.hbs (Handlebars).
 * A new wording is a new version; old versions stay, so every audited call can be traced to the
 * exact text (id, version and SHA-256 of the file).
 */
export interface PromptRef {
  id: string;
  version: number;
  hash: string;
}

export interface PromptTemplate extends PromptRef {
  text: string;
  render(vars: Record<string, unknown>): string;
}

const TEMPLATES_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), "templates");
const FILE = /^([a-z0-9-]+)\.v(\d+)\.hbs$/;

let cache: Map<string, PromptTemplate[]> | undefined;

function load(dir = TEMPLATES_DIR): Map<string, PromptTemplate[]> {
  const byId = new Map<string, PromptTemplate[]>();
  for (const file of readdirSync(dir).sort()) {
    const m = FILE.exec(file);
    if (!m) continue;
    const text = readFileSync(path.join(dir, file), "utf8");
    const compiled = Handlebars.compile(text, { noEscape: true, strict: true });
    const t: PromptTemplate = {
      id: m[1]!,
      version: Number(m[2]),
      hash: createHash("sha256").update(text).digest("hex"),
      text,
      render: (vars) => compiled(vars),
    };
    byId.set(
      t.id,
      [...(byId.get(t.id) ?? []), t].sort((a, b) => a.version - b.version),
    );
  }
  return byId;
}

/** The latest version of a prompt, or a given one. */
export function getPrompt(id: string, version?: number): PromptTemplate {
  cache ??= load();
  const versions = cache.get(id);
  const found = version === undefined ? versions?.at(-1) : versions?.find((v) => v.version === version);
  if (!found) throw new NotFoundError(`prompt ${id}${version === undefined ? "" : ` v${version}`}`);
  return found;
}

export function refOf(t: PromptTemplate): PromptRef {
  return { id: t.id, version: t.version, hash: t.hash };
}

/** A template's text holds the system message, then a line `=== user ===`, then the user message. */
const USER_SEPARATOR = /^=== user ===$/m;

export interface RenderedPrompt {
  ref: PromptRef;
  system: string;
  user: string;
}

export function renderMessages(id: string, vars: Record<string, unknown>, version?: number): RenderedPrompt {
  const template = getPrompt(id, version);
  const [system, user] = template.render(vars).split(USER_SEPARATOR);
  if (user === undefined) throw new NotFoundError(`user message in prompt ${id} v${template.version} (missing "=== user ===" line)`);
  return { ref: refOf(template), system: system!.trim(), user: user.trim() };
}
