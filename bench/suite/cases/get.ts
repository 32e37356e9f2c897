/**
 * Get over TCP and HTTP (bench/dataplane's get pairs, on the medium pack): every entity preloaded, then
 *   max        closed loop: TCP msgpack GET (`connections` × `depth`) and POST /get (`connections`
 *              keep-alive) vs the framed-TCP echo and the JSON echo;
 *   latency    open loop at `openFraction` × the max Tessera reached in the same round, per wire:
 *              requests fall due at a fixed rate whatever the replies do, latency runs from the due
 *              time (no coordinated omission); p50 / p99 vs the echo at the same arrival rate.
 */
import { getPairs, type OpenRates } from "../../dataplane/cases.ts";
import { getWorkload } from "../../dataplane/workload.ts";
import type { CasePair } from "../../lib/rounds.ts";
import { register } from "../../lib/tessera-setup.ts";
import { measureCase, onFreshServer, pairSteps, type CaseResult, type CaseSpec, type SuiteContext } from "../context.ts";
import { compact, describeKeys } from "../keys.ts";
import type { SuiteOptions } from "../options.ts";
import { PACKS } from "../packs.ts";
import type { PairSpec } from "../pairs.ts";
import { preloadPack } from "../workloads.ts";

export function getCase(o: SuiteOptions): CaseSpec {
  const pack = PACKS.medium;
  const entities = o.getEntities;
  const id = "get-medium-uniform";
  const title = "get, medium pack";
  const workload = `medium, ${compact(entities)} preloaded, reads uniform`;
  const titles = [
    { id: `${id}/tcp-max`, title: `get req/s, TCP msgpack ${o.connections}×${o.depth} vs frame echo` },
    { id: `${id}/http-max`, title: "get req/s, HTTP/1.1 POST /get vs JSON echo" },
    { id: `${id}/tcp-open`, title: "get latency, TCP open loop" },
    { id: `${id}/http-open`, title: "get latency, HTTP/1.1 open loop" },
  ];
  const spec = { id, group: "get" as const, title, workload };
  return {
    ...spec,
    steps: pairSteps(o, 2, 2, 1),
    run: (ctx: SuiteContext): Promise<CaseResult> =>
      onFreshServer(spec, titles, {}, async (srv) => {
        const tapes = getWorkload(o.tapeEvents, entities, 13);
        await register(srv.url, pack.registerBody());
        const t0 = performance.now();
        const preloaded = await preloadPack(srv.url, pack, entities);
        ctx.log(`${id}: preloaded ${preloaded} entities in ${Math.round(performance.now() - t0)} ms`);
        ctx.step(`${id}: setup`);
        const rates: OpenRates = { tcp: null, http: null };
        const sides = getPairs(
          { gen: ctx.gen, connections: o.connections, depth: o.depth },
          { tessera: srv, jsonEcho: ctx.jsonEcho, frameEcho: ctx.frameEcho },
          tapes,
          { rates, spin: o.spin, drainTimeoutMs: o.quick ? 3_000 : 10_000 },
        );
        // Each round's open loop runs at a fraction of the max Tessera reached on its wire just before.
        const settingRate = (p: CasePair, wire: "tcp" | "http"): CasePair => ({
          ...p,
          subject: { ...p.subject, onSample: (s) => (rates[wire] = Math.max(1, Math.round(s.opsPerS * o.openFraction))) },
        });
        const pairs: PairSpec[] = [
          { id: titles[0]!.id, title: titles[0]!.title, metric: "throughput", ...settingRate(sides.max.tcp, "tcp") },
          { id: titles[1]!.id, title: titles[1]!.title, metric: "throughput", ...settingRate(sides.max.http, "http") },
          { id: titles[2]!.id, title: titles[2]!.title, metric: "latency", prime: false, ...sides.open.tcp },
          { id: titles[3]!.id, title: titles[3]!.title, metric: "latency", prime: false, ...sides.open.http },
        ];
        return measureCase(ctx, spec, pairs, {
          pack: pack.summary,
          preloaded: `${preloaded} entities, one event each, via /push_batch`,
          keys: `reads ${describeKeys("uniform", entities)} (every read finds a full row); ${o.tapeEvents} pre-built requests cycled`,
          getJsonBytes: tapes.jsonBytes,
          getMsgpackBytes: tapes.msgpackPayloadBytes,
          closedLoop: `TCP ${o.connections} connections × depth ${o.depth}; HTTP ${o.connections} keep-alive connections, 1 in flight each`,
          openLoop: `per round ${o.openFraction} × that round's Tessera max on the wire, the echo at the same rate; latency from the due time; TCP frames pipelined round-robin over ${o.connections} connections, HTTP requests wait for a free connection; spin ${o.spin}`,
          server: `tessera ${srv.flags.join(" ")}`,
        });
      }),
  };
}
