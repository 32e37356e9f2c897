/**
 * Get over TCP and HTTP (bench/dataplane's get pairs, on the medium pack): every entity preloaded, then
 *   max        closed loop: TCP msgpack GET (`connections` × `depth`) and POST /get (`connections`
 *              keep-alive) vs the framed-TCP echo and the JSON echo;
 *   latency    open loop at `openFraction` × the max Tessera reached in the same round, per wire:
 *              requests fall due at a fixed rate whatever the replies do, latency runs from the due
 *              time (no coordinated omission); p50 / p99 vs the echo at the same arrival rate.
 */
import { OP_GET_RESPONSE } from "../../lib/frames.ts";
import { buildHttp1Tape } from "../../lib/http1-tape.ts";
import { measurePairs, pairSteps, unmeasured, type CaseResult, type CaseSpec, type SuiteContext } from "../context.ts";
import { compact, describeKeys, type KeyDistribution } from "../keys.ts";
import type { SuiteOptions } from "../options.ts";
import { MEDIUM_TABLE, PACKS, userKey } from "../packs.ts";
import { fromTcpLoad, type PairSpec, type Sample, type Timing } from "../runner.ts";
import { startTessera } from "../servers.ts";
import { checkRowOf, getTapes, preload, preloadBodies, register } from "../workloads.ts";

export function getCase(o: SuiteOptions, dist: KeyDistribution = "uniform"): CaseSpec {
  const pack = PACKS.medium;
  const entities = o.getEntities;
  const id = `get-medium-${dist}`;
  const title = "get, medium pack";
  const workload = `medium, ${compact(entities)} preloaded, reads ${dist}`;
  const titles = [
    { id: `${id}/tcp-max`, title: `get req/s, TCP msgpack ${o.connections}×${o.depth} vs frame echo` },
    { id: `${id}/http-max`, title: "get req/s, HTTP/1.1 POST /get vs JSON echo" },
    { id: `${id}/tcp-open`, title: "get latency, TCP open loop" },
    { id: `${id}/http-open`, title: "get latency, HTTP/1.1 open loop" },
  ];
  return {
    id,
    group: "get",
    title,
    workload,
    steps: pairSteps(o, 2, 2, 1),
    async run(ctx: SuiteContext): Promise<CaseResult> {
      const tapes = getTapes(MEDIUM_TABLE, userKey, o.tapeEvents, entities, dist, 13);
      let server;
      try {
        server = await startTessera();
      } catch (e) {
        return unmeasured({ id, group: "get", title, workload }, `server did not start: ${(e as Error).message.split("\n")[0]}`, titles);
      }
      try {
        await register(server.url, pack.registerBody());
        const t0 = performance.now();
        const preloaded = await preload(server.url, preloadBodies(pack, entities, 2000, 11));
        ctx.log(`${id}: preloaded ${preloaded} entities in ${Math.round(performance.now() - t0)} ms`);
        ctx.step(`${id}: setup`);
        const tcpTape = ctx.gen.saveTape(tapes.tcpTape);
        const httpTape = ctx.gen.saveTape(buildHttp1Tape("POST", "/get", "127.0.0.1", { "content-type": "application/json" }, tapes.httpBodies));
        const srv = server;
        const rates: { tcp: number | null; http: number | null } = { tcp: null, http: null };
        const setRate = (wire: "tcp" | "http") => (s: Sample) => {
          rates[wire] = Math.max(1, Math.round(s.opsPerS * o.openFraction));
        };
        const drainTimeoutMs = o.quick ? 3_000 : 10_000;
        type Addr = { host: string; port: number };
        const tcpClosed = (a: Addr, pid: number) => (t: Timing) =>
          ctx.gen.run({ kind: "closed", ...a, connections: o.connections, depth: o.depth, ...t, tapePath: tcpTape, expectOp: OP_GET_RESPONSE, observePids: [pid] }).then(fromTcpLoad);
        const httpClosed = (a: Addr, pid: number) => (t: Timing) =>
          ctx.gen.run({ protocol: "http1", kind: "closed", ...a, connections: o.connections, depth: 1, ...t, tapePath: httpTape, expectOp: 200, observePids: [pid] }).then(fromTcpLoad);
        const tcpOpen = (a: Addr, pid: number) => (t: Timing) => {
          if (rates.tcp === null) throw new Error("no open-loop rate: the TCP max case did not run");
          return ctx.gen
            .run({ kind: "open", ...a, connections: o.connections, ratePerS: rates.tcp, drainTimeoutMs, spin: o.spin, ...t, tapePath: tcpTape, expectOp: OP_GET_RESPONSE, observePids: [pid] })
            .then(fromTcpLoad);
        };
        const httpOpen = (a: Addr, pid: number) => (t: Timing) => {
          if (rates.http === null) throw new Error("no open-loop rate: the HTTP max case did not run");
          return ctx.gen
            .run({ protocol: "http1", kind: "open", ...a, connections: o.connections, ratePerS: rates.http, drainTimeoutMs, spin: o.spin, ...t, tapePath: httpTape, expectOp: 200, observePids: [pid] })
            .then(fromTcpLoad);
        };
        const row = checkRowOf(pack.tables[0]!.features, "get reply");
        const pairs: PairSpec[] = [
          {
            id: titles[0]!.id, title: titles[0]!.title, metric: "throughput",
            subject: { label: "tessera TCP GET msgpack", run: tcpClosed(srv.tcpAddr, srv.pid), check: row, onSample: setRate("tcp") },
            baseline: { label: "bare framed-TCP echo", run: tcpClosed(ctx.frameEcho.tcp, ctx.frameEcho.pid) },
          },
          {
            id: titles[1]!.id, title: titles[1]!.title, metric: "throughput",
            subject: { label: "tessera POST /get", run: httpClosed(srv.http, srv.pid), check: row, onSample: setRate("http") },
            baseline: { label: "bare node http JSON echo", run: httpClosed(ctx.jsonEcho.http, ctx.jsonEcho.pid) },
          },
          {
            id: titles[2]!.id, title: titles[2]!.title, metric: "latency", prime: false,
            subject: { label: "tessera TCP GET, open loop", run: tcpOpen(srv.tcpAddr, srv.pid), check: row },
            baseline: { label: "bare framed-TCP echo, same rate", run: tcpOpen(ctx.frameEcho.tcp, ctx.frameEcho.pid) },
          },
          {
            id: titles[3]!.id, title: titles[3]!.title, metric: "latency", prime: false,
            subject: { label: "tessera POST /get, open loop", run: httpOpen(srv.http, srv.pid), check: row },
            baseline: { label: "bare node http JSON echo, same rate", run: httpOpen(ctx.jsonEcho.http, ctx.jsonEcho.pid) },
          },
        ];
        const summaries = await measurePairs(ctx, pairs);
        return {
          id,
          group: "get",
          title,
          workload,
          skipped: null,
          conditions: {
            pack: pack.summary,
            preloaded: `${preloaded} entities, one event each, via /push_batch`,
            keys: `reads ${describeKeys(dist, entities)} (every read finds a full row); ${o.tapeEvents} pre-built requests cycled`,
            getJsonBytes: tapes.jsonBytes,
            getMsgpackBytes: tapes.msgpackBytes,
            closedLoop: `TCP ${o.connections} connections × depth ${o.depth}; HTTP ${o.connections} keep-alive connections, 1 in flight each`,
            openLoop: `per round ${o.openFraction} × that round's Tessera max on the wire, the echo at the same rate; latency from the due time; TCP frames pipelined round-robin over ${o.connections} connections, HTTP requests wait for a free connection; spin ${o.spin}`,
            server: `tessera ${srv.flags.join(" ")}`,
          },
          pairs: summaries,
        };
      } catch (e) {
        return unmeasured({ id, group: "get", title, workload }, `setup failed: ${(e as Error).message.split("\n")[0]}`, titles);
      } finally {
        await server.stop();
      }
    },
  };
}
