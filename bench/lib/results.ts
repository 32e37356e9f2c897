/**
 * Writes bench results as JSON under bench/results/, one file per run, named by bench and start time,
 * with a paired bench's printed report as .md next to it.
 */
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

/** A paired bench's report: its tables, the conditions they were measured under, how to read them. */
export interface BenchReport {
  readonly title: string;
  readonly tables: string;
  readonly conditions: readonly string[];
  readonly legend: string;
}

/** Prints `r` on stdout, writes `data` (writeResult) and `r` as a .md next to it, and prints both paths. */
export async function publishReport(bench: string, startedAt: Date, data: unknown, r: BenchReport): Promise<void> {
  process.stdout.write(`\n${r.title}\n\n${r.tables}\n\n${r.conditions.join("\n")}\n\n${r.legend}\n`);
  const path = await writeResult(bench, startedAt, data);
  const mdPath = path.replace(/\.json$/, ".md");
  await writeFile(mdPath, `# ${r.title}\n\n\`\`\`\n${r.tables}\n\`\`\`\n\n${r.conditions.map((l) => `- ${l}`).join("\n")}\n\n${r.legend.replaceAll("\n", " ")}\n`);
  process.stdout.write(`results: ${path}\n         ${mdPath}\n`);
}
