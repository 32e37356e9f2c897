/**
 * Bytes per entity of the small, medium and fraud packs at each size (100k, and 1M in the full run):
 * the engine's state in a child of its own (bench/memory/memory-child.ts), next to the floor measured
 * in the same child (a Map per table from the same keys to one number per feature).
 */
import { measureMemory } from "../../memory/memory.ts";
import type { CaseResult, CaseSpec, MemoryRow, SuiteContext } from "../context.ts";
import { compact } from "../keys.ts";
import type { SuiteOptions } from "../options.ts";
import { PACKS, type PackId } from "../packs.ts";
import { childEnv } from "../servers.ts";

const PACK_IDS: readonly PackId[] = ["small", "medium", "fraud"];

export function memoryCase(o: SuiteOptions): CaseSpec {
  const id = "memory";
  const title = "memory, bytes per entity";
  const workload = `small, medium, fraud packs at ${o.memoryEntities.map(compact).join(" and ")} entities`;
  // Two waves of events (windows hold two buckets); --quick one, to stay within its time budget.
  const WAVES = o.quick ? 1 : 2;
  return {
    id,
    group: "memory",
    title,
    workload,
    steps: PACK_IDS.length * o.memoryEntities.length,
    async run(ctx: SuiteContext): Promise<CaseResult> {
      const rows: MemoryRow[] = [];
      // The packs of one size run side by side (each in its own child): bytes do not depend on the
      // CPU share a child gets, only build times do, and the suite's time budget is short.
      for (const n of o.memoryEntities) {
        ctx.hooks.onStart?.(`memory: ${PACK_IDS.join(", ")} packs at ${compact(n)} entities`);
        const measured = await Promise.all(
          PACK_IDS.map(async (p): Promise<MemoryRow> => {
            try {
              const r = await measureMemory(p, n, WAVES, childEnv());
              const per = r.engineBytes / n;
              const floor = r.floorBytes / n;
              ctx.hooks.onResult?.(`memory ${p} ${n}: ${Math.round(per)} B/entity (floor ${Math.round(floor)}), ${r.tableRows} rows, built in ${r.buildMs} ms`);
              return {
                pack: p,
                entities: n,
                features: r.features,
                tableRows: r.tableRows,
                bytesPerEntity: per,
                bytesPerRow: r.engineBytes / r.tableRows,
                floorBytesPerEntity: floor,
                ratio: per / floor,
                events: r.events,
                waves: r.waves,
                buildMs: r.buildMs,
                error: null,
              };
            } catch (e) {
              const error = (e as Error).message;
              ctx.hooks.onResult?.(`FAILED memory ${p} ${n}: ${error}`);
              return { pack: p, entities: n, features: PACKS[p].features, tableRows: 0, bytesPerEntity: null, bytesPerRow: null, floorBytesPerEntity: null, ratio: null, events: 0, waves: WAVES, buildMs: null, error };
            } finally {
              ctx.hooks.onDone?.();
            }
          }),
        );
        rows.push(...measured);
      }
      return {
        id,
        group: "memory",
        title,
        workload,
        skipped: null,
        conditions: {
          method: "engine in a child process with --expose-gc: (heapUsed + arrayBuffers) after GC, delta over registering the pack and applying the events, ÷ entities; no server, no transport",
          schedule: "one child per pack and size; the three packs of a size run side by side (build times share the CPU, bytes do not)",
          events: `${WAVES} wave(s)${WAVES > 1 ? " 1 h apart" : ""} (full run 2, --quick 1); per wave, every entity gets one event of each event kind of the pack (fraud: 5 events touching its user, card, device and ip; merchants = entities/50, at least 200)`,
          floor: "same child, same keys: per table a Map<key, number[one per feature]>: the least any per-entity store holds",
          packs: Object.fromEntries(PACK_IDS.map((p) => [p, PACKS[p].summary])),
        },
        pairs: [],
        memory: rows,
      };
    },
  };
}
