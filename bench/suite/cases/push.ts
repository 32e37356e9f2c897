/**
 * Push throughput, each wire next to the least work node does for it (bench/dataplane's pairs, on the
 * suite's packs and key distributions):
 *   TCP   msgpack PUSH frames, `connections` × `depth` pipelined   vs the bare framed-TCP echo   target ≥ 0.5
 *   HTTP  POST /push, `connections` keep-alive, 1 in flight each  vs the bare node http JSON echo target ≥ 0.7
 * Both sides get the same pre-built bytes from the out-of-process generator.
 */
import { OP_PUSH } from "../../lib/frames.ts";
import { buildHttp1Tape } from "../../lib/http1-tape.ts";
import { pairSteps, measurePairs, unmeasured, type CaseResult, type CaseSpec, type SuiteContext } from "../context.ts";
import { compact, describeKeys, type KeyDistribution } from "../keys.ts";
import type { SuiteOptions } from "../options.ts";
import { PACKS, type PackId } from "../packs.ts";
import { fromTcpLoad, type PairSpec, type Timing } from "../runner.ts";
import { startTessera } from "../servers.ts";
import { checkAck, preload, preloadBodies, pushTapes, register } from "../workloads.ts";

export type Wire = "tcp" | "http";

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

export const PUSH_TARGETS: Record<Wire, number> = { tcp: 0.5, http: 0.7 };

export function pushCase(o: SuiteOptions, c: PushCaseOptions): CaseSpec {
  const pack = PACKS[c.pack];
  const entities = c.entities(o);
  const id = `push-${c.pack}-${c.dist}${c.preloadAll === true ? `-${compact(entities)}` : ""}`;
  const workload = `${pack.id}, ${describeKeys(c.dist, entities)}${c.preloadAll === true ? ", all preloaded" : ""}`;
  const title = `push, ${pack.id} pack`;
  const titles = c.wires.map((w) => ({ id: `${id}/${w}`, title: pairTitle(w, o) }));
  return {
    id,
    group: "push",
    title,
    workload,
    steps: pairSteps(o, c.wires.length, 0, 1),
    async run(ctx: SuiteContext): Promise<CaseResult> {
      const tapeEvents = Math.round(o.tapeEvents * (c.tapeFactor ?? 1));
      const tapes = pushTapes(pack, tapeEvents, entities, c.dist, 7);
      let server;
      try {
        server = await startTessera();
      } catch (e) {
        return unmeasured({ id, group: "push", title, workload }, `server did not start: ${(e as Error).message.split("\n")[0]}`, titles);
      }
      try {
        await register(server.url, pack.registerBody());
        let preloaded = 0;
        if (c.preloadAll === true) {
          const t0 = performance.now();
          preloaded = await preload(server.url, preloadBodies(pack, entities, 2000, 11));
          ctx.log(`${id}: preloaded ${preloaded} events in ${Math.round(performance.now() - t0)} ms`);
        }
        ctx.step(`${id}: setup`);
        const tcpTape = ctx.gen.saveTape(tapes.tcpTape);
        const httpTape = ctx.gen.saveTape(buildHttp1Tape("POST", "/push", "127.0.0.1", { "content-type": "application/json" }, tapes.httpBodies));
        const srv = server;
        const tcpRun = (addr: { host: string; port: number }, pid: number) => (t: Timing) =>
          ctx.gen.run({ kind: "closed", ...addr, connections: o.connections, depth: o.depth, ...t, tapePath: tcpTape, expectOp: OP_PUSH, observePids: [pid] }).then(fromTcpLoad);
        const httpRun = (addr: { host: string; port: number }, pid: number) => (t: Timing) =>
          ctx.gen.run({ protocol: "http1", kind: "closed", ...addr, connections: o.connections, depth: 1, ...t, tapePath: httpTape, expectOp: 200, observePids: [pid] }).then(fromTcpLoad);
        const pairs: PairSpec[] = c.wires.map((w) =>
          w === "tcp"
            ? {
                id: `${id}/tcp`,
                title: pairTitle("tcp", o),
                metric: "throughput",
                subject: { label: "tessera TCP PUSH msgpack", run: tcpRun(srv.tcpAddr, srv.pid), check: checkAck },
                baseline: { label: "bare framed-TCP echo (msgpack decode, fixed reply)", run: tcpRun(ctx.frameEcho.tcp, ctx.frameEcho.pid) },
                target: { kind: "ratio-min", value: PUSH_TARGETS.tcp },
              }
            : {
                id: `${id}/http`,
                title: pairTitle("http", o),
                metric: "throughput",
                subject: { label: "tessera POST /push", run: httpRun(srv.http, srv.pid), check: checkAck },
                baseline: { label: "bare node http JSON echo", run: httpRun(ctx.jsonEcho.http, ctx.jsonEcho.pid) },
                target: { kind: "ratio-min", value: PUSH_TARGETS.http },
              },
        );
        const summaries = await measurePairs(ctx, pairs);
        return {
          id,
          group: "push",
          title,
          workload,
          skipped: null,
          conditions: {
            pack: pack.summary,
            keys: `${describeKeys(c.dist, entities)} per key kind${pack.id === "fraud" ? " (merchants: entities/50, at least 200)" : ""}; ${tapes.events} pre-built events cycled, ${tapes.distinctKeys} distinct ${pack.keyKinds[0]} keys`,
            eventMix: tapes.mix,
            preloaded: c.preloadAll === true ? `${preloaded} events: one per event kind for every entity, via /push_batch` : "none (entities are created by the pushes)",
            pushJsonBytesMean: tapes.meanJsonBytes,
            pushMsgpackBytesMean: tapes.meanMsgpackBytes,
            tcp: `${o.connections} connections × depth ${o.depth} pipelined (closed loop)`,
            http: `${o.connections} keep-alive connections, 1 request in flight each (closed loop)`,
            server: `tessera ${srv.flags.join(" ")}`,
          },
          pairs: summaries,
        };
      } catch (e) {
        return unmeasured({ id, group: "push", title, workload }, `setup failed: ${(e as Error).message.split("\n")[0]}`, titles);
      } finally {
        await server.stop();
      }
    },
  };
}

function pairTitle(w: Wire, o: SuiteOptions): string {
  return w === "tcp" ? `push ev/s, TCP msgpack ${o.connections}×${o.depth} vs frame echo` : `push ev/s, HTTP/1.1 POST /push vs JSON echo`;
}
