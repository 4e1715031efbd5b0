import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateWorld } from "../sim/index.js";
import { MANIFEST_FILE } from "../sim/world-manifest.js";

/**
 * A simulated retailer's history for this seed and size, generated once and reused from the OS
 * temporary folder (shared by the benchmarks). `generatedSeconds` is set when this call generated it.
 */
export async function benchHistory(customers: number, seed: number): Promise<{ dir: string; generatedSeconds: number | undefined }> {
  const root = path.join(tmpdir(), "pulse-bench-cycle");
  const dir = path.join(root, `seed-${seed}-customers-${customers}`);
  if (existsSync(path.join(dir, MANIFEST_FILE))) return { dir, generatedSeconds: undefined };
  const started = performance.now();
  mkdirSync(root, { recursive: true });
  const work = mkdtempSync(path.join(root, "generating-"));
  await generateWorld({ customers, seed, out: work });
  rmSync(dir, { recursive: true, force: true });
  renameSync(work, dir);
  return { dir, generatedSeconds: (performance.now() - started) / 1000 };
}
