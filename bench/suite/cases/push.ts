/**
 * Push throughput, each wire next to the least work node does for it (bench/dataplane's pairs, on the
 * suite's packs and key distributions):
 *   TCP   msgpack PUSH frames, `connections` × `depth` pipelined   vs the bare framed-TCP echo   target ≥ 0.5
 *   HTTP  POST /push, `connections` keep-alive, 1 in flight each  vs the bare node http JSON echo target ≥ 0.7
 * Both sides get the same pre-built bytes from the out-of-process generator.
 */
import { PUSH_TARGETS, pushPairs } from "../../dataplane/cases.ts";
import { register } from "../../lib/tessera-setup.ts";
import { onFreshServer, pairSteps, measureCase, type CaseResult, type CaseSpec, type SuiteContext } from "../context.ts";
import { compact, describeKeys, type KeyDistribution } from "../keys.ts";
import type { SuiteOptions } from "../options.ts";
import { PACKS, type PackId } from "../packs.ts";
import type { PairSpec } from "../pairs.ts";
import { preloadPack, pushTapes } from "../workloads.ts";

type Wire = "tcp" | "http";

export interface PushCaseOptions {
  readonly pack: PackId;
  readonly dist: KeyDistribution;
  /** Key space (per key kind). */
  readonly entities: (o: SuiteOptions) => number;
  readonly wires: readonly Wire[];
  /** Preload every entity (one event per event kind) first, so the whole key space is resident. */
  readonly preloadAll?: boolean;
  /** Tape events as a multiple of the suite's tapeEvents (a large uniform key space needs more). */
  readonly tapeFactor?: number;
}

export function pushCase(o: SuiteOptions, c: PushCaseOptions): CaseSpec {
  const pack = PACKS[c.pack];
  const entities = c.entities(o);
  const id = `push-${c.pack}-${c.dist}${c.preloadAll === true ? `-${compact(entities)}` : ""}`;
  const workload = `${pack.id}, ${describeKeys(c.dist, entities)}${c.preloadAll === true ? ", all preloaded" : ""}`;
  const title = `push, ${pack.id} pack`;
  const titles = c.wires.map((w) => ({ id: `${id}/${w}`, title: pairTitle(w, o) }));
  const spec = { id, group: "push" as const, title, workload };
  return {
    ...spec,
    steps: pairSteps(o, c.wires.length, 0, 1),
    run: (ctx: SuiteContext): Promise<CaseResult> =>
      onFreshServer(spec, titles, {}, async (srv) => {
        const tapeEvents = Math.round(o.tapeEvents * (c.tapeFactor ?? 1));
        const tapes = pushTapes(pack, tapeEvents, entities, c.dist, 7);
        await register(srv.url, pack.registerBody());
        let preloaded = 0;
        if (c.preloadAll === true) {
          const t0 = performance.now();
          preloaded = await preloadPack(srv.url, pack, entities);
          ctx.log(`${id}: preloaded ${preloaded} events in ${Math.round(performance.now() - t0)} ms`);
        }
        ctx.step(`${id}: setup`);
        const sides = pushPairs({ gen: ctx.gen, connections: o.connections, depth: o.depth }, { tessera: srv, jsonEcho: ctx.jsonEcho, frameEcho: ctx.frameEcho }, tapes);
        const pairs: PairSpec[] = c.wires.map((w) => ({ id: `${id}/${w}`, title: pairTitle(w, o), metric: "throughput", ...sides[w], target: { kind: "ratio-min", value: PUSH_TARGETS[w] } }));
        return measureCase(ctx, spec, pairs, {
          pack: pack.summary,
          keys: `${describeKeys(c.dist, entities)} per key kind${pack.id === "fraud" ? " (merchants: entities/50, at least 200)" : ""}; ${tapes.events} pre-built events cycled, ${tapes.distinctKeys} distinct ${pack.keyKinds[0]} keys`,
          eventMix: tapes.mix,
          preloaded: c.preloadAll === true ? `${preloaded} events: one per event kind for every entity, via /push_batch` : "none (entities are created by the pushes)",
          pushJsonBytesMean: tapes.meanJsonBytes,
          pushMsgpackBytesMean: tapes.meanMsgpackBytes,
          tcp: `${o.connections} connections × depth ${o.depth} pipelined (closed loop)`,
          http: `${o.connections} keep-alive connections, 1 request in flight each (closed loop)`,
          server: `tessera ${srv.flags.join(" ")}`,
        });
      }),
  };
}

function pairTitle(w: Wire, o: SuiteOptions): string {
  return w === "tcp" ? `push ev/s, TCP msgpack ${o.connections}×${o.depth} vs frame echo` : `push ev/s, HTTP/1.1 POST /push vs JSON echo`;
}
