/** Writes bench results as JSON under bench/results/, one file per run, named by bench and start time. */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

const RESULTS_DIR = fileURLToPath(new URL("../results/", import.meta.url));

/**
 * Writes `data` to bench/results/<bench>-<ISO time>.json and returns the path. The time is ISO 8601 in
 * UTC with `:` replaced by `-` so the name is valid on every filesystem and sorts chronologically.
 */
export async function writeResult(bench: string, startedAt: Date, data: unknown): Promise<string> {
  await mkdir(RESULTS_DIR, { recursive: true });
  const stamp = startedAt.toISOString().replace(/\.\d+Z$/, "Z").replaceAll(":", "-");
  const path = `${RESULTS_DIR}${bench}-${stamp}.json`;
  await writeFile(path, `${JSON.stringify(data, null, 2)}\n`);
  return path;
}
