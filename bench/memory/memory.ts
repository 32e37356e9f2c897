/**
 * Runs memory-child.ts for one pack and size in a fresh child (--expose-gc, a heap limit large enough
 * for the fraud pack at 1M entities) and returns its measurement.
 *
 * Standalone: node_modules/.bin/node --experimental-transform-types --disable-warning=ExperimentalWarning \
 *               bench/memory/memory.ts [pack ...] [--entities N[,N...]]
 */
import { resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { runJsonChild } from "../lib/json-child.ts";
import type { MemoryChildResult } from "./memory-child.ts";

const CHILD = fileURLToPath(new URL("./memory-child.ts", import.meta.url));

/** Heap limit of the child: the fraud pack at 1M entities holds ~7 GB of state. */
const HEAP_MB = 16_384;

export function measureMemory(pack: string, entities: number, waves = 2, env: NodeJS.ProcessEnv = process.env): Promise<MemoryChildResult> {
  return runJsonChild<MemoryChildResult>(CHILD, [pack, String(entities), String(waves)], {
    nodeArgs: ["--expose-gc", `--max-old-space-size=${HEAP_MB}`],
    env,
    timeoutMs: 30 * 60_000,
    what: `memory child (${pack}, ${entities})`,
  });
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { entities: { type: "string", default: "100000" } } });
  const packs = positionals.length > 0 ? positionals : ["small", "medium", "fraud"];
  for (const n of values.entities.split(",").map(Number)) {
    for (const p of packs) {
      const r = await measureMemory(p, n);
      process.stdout.write(
        `${p.padEnd(6)} ${String(n).padStart(8)} entities  engine ${Math.round(r.engineBytes / n)} B/entity (${Math.round(r.engineBytes / r.tableRows)} B/row, ${r.tableRows} rows)` +
          `  floor ${Math.round(r.floorBytes / n)} B/entity  ratio ${(r.engineBytes / r.floorBytes).toFixed(2)}  build ${r.buildMs} ms\n`,
      );
    }
  }
}
