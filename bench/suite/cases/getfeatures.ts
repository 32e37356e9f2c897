/**
 * GetFeatures on the read-heavy pack (bench/serving's workload: 10 tables × 3 tiled features behind
 * one feature service, Tecton's published benchmark shape), with bench/serving's setup and baselines:
 *   REST max      POST /api/v1/feature-service/get-features, closed loop  vs the JSON echo     target ≥ 0.5 × req/s
 *   REST latency  open loop at `openFraction` × the same round's REST max vs the echo, same rate target p99 < 2 ms
 *   Connect JSON, Connect binary (HTTP/1.1) and gRPC (h2c)                 vs an empty connect-node
 *                 FeatureService returning Tessera's own reply             target ≤ 1.15 × server CPU/req
 */
import { loadH2, type RequestSpec, type Validate } from "../../lib/load.ts";
import { buildHttp1Tape } from "../../lib/http1-tape.ts";
import { spawnEmptyConnect } from "../../serving/empty-connect.ts";
import { checkReplies, prepareTessera } from "../../serving/setup.ts";
import { FEATURE_SUMMARY, FEATURES_PER_TABLE, getFeaturesWorkload, TABLES } from "../../serving/workload.ts";
import { track } from "../children.ts";
import { measurePairs, pairSteps, unmeasured, type CaseResult, type CaseSpec, type SuiteContext } from "../context.ts";
import { compact } from "../keys.ts";
import type { SuiteOptions } from "../options.ts";
import { fromLoad, fromTcpLoad, type PairSpec, type Sample, type Timing } from "../runner.ts";
import { startTessera } from "../servers.ts";

const REST_PATH = "/api/v1/feature-service/get-features";
const RPC_PATH = "/tessera.featureservice.v1.FeatureService/GetFeatures";

const expectGrpcOk: Validate = (res) => {
  const status = res.trailers["grpc-status"] ?? res.headers["grpc-status"];
  return res.status === 200 && status === "0" ? null : `HTTP ${res.status}, grpc-status ${String(status)} ${String(res.trailers["grpc-message"] ?? "")}`;
};

export function getFeaturesCase(o: SuiteOptions): CaseSpec {
  const id = "getfeatures-read-heavy";
  const title = "GetFeatures, read-heavy pack";
  const entities = o.servingEntities;
  const workload = `read-heavy ${TABLES}×${FEATURES_PER_TABLE}, ${compact(entities)} entities, uniform`;
  const titles = [
    { id: `${id}/rest-max`, title: "GetFeatures req/s, REST vs JSON echo" },
    { id: `${id}/rest-open`, title: "GetFeatures latency, REST open loop" },
    { id: `${id}/connect-json`, title: "GetFeatures, Connect JSON vs empty Connect handler" },
    { id: `${id}/connect-proto`, title: "GetFeatures, Connect binary vs empty Connect handler" },
    { id: `${id}/grpc`, title: "GetFeatures, gRPC vs empty Connect handler" },
  ];
  return {
    id,
    group: "getfeatures",
    title,
    workload,
    steps: pairSteps(o, 4, 1, 1),
    async run(ctx: SuiteContext): Promise<CaseResult> {
      const work = getFeaturesWorkload(Math.min(o.tapeEvents, 10_000), entities, "names");
      let server;
      try {
        server = await startTessera({ testMode: true });
      } catch (e) {
        return unmeasured({ id, group: "getfeatures", title, workload }, `server did not start: ${(e as Error).message.split("\n")[0]}`, titles);
      }
      let empty;
      try {
        const t0 = performance.now();
        const { connectJsonReply } = await prepareTessera(server, entities, work.jsonBodies[0]!);
        ctx.log(`${id}: registered and preloaded ${entities} entities in ${Math.round(performance.now() - t0)} ms`);
        empty = track(await spawnEmptyConnect(connectJsonReply));
        await checkReplies(server.url, empty, work, "names");
        ctx.step(`${id}: setup`);
        const tape = (path: string, contentType: string, bodies: readonly Buffer[]) =>
          ctx.gen.saveTape(buildHttp1Tape("POST", path, "127.0.0.1", { "content-type": contentType }, bodies));
        const tapes = {
          rest: tape(REST_PATH, "application/json", work.jsonBodies),
          json: tape(RPC_PATH, "application/json", work.jsonBodies),
          proto: tape(RPC_PATH, "application/proto", work.protoBodies),
        };
        const hostPort = (url: string) => ({ host: new URL(url).hostname, port: Number(new URL(url).port) });
        const closed = (url: string, tapePath: string, pid: number) => (t: Timing) =>
          ctx.gen.run({ protocol: "http1", kind: "closed", ...hostPort(url), connections: o.connections, depth: 1, ...t, tapePath, expectOp: 200, observePids: [pid] }).then(fromTcpLoad);
        let openRate: number | null = null;
        const open = (url: string, pid: number) => (t: Timing) => {
          if (openRate === null) throw new Error("no open-loop rate: the REST max case did not run");
          return ctx.gen
            .run({ protocol: "http1", kind: "open", ...hostPort(url), connections: o.connections, ratePerS: openRate, drainTimeoutMs: o.quick ? 3_000 : 10_000, spin: o.spin, ...t, tapePath: tapes.rest, expectOp: 200, observePids: [pid] })
            .then(fromTcpLoad);
        };
        const grpc: RequestSpec = { method: "POST", path: RPC_PATH, headers: { "content-type": "application/grpc", te: "trailers" }, bodies: work.grpcBodies };
        const h2 = (url: string, pid: number) => (t: Timing) =>
          loadH2(url, grpc, { ...t, concurrency: o.connections, sessions: 1, validate: expectGrpcOk, observePids: [pid] }).then(fromLoad);
        const features = TABLES * FEATURES_PER_TABLE;
        const checkRest = (reply: unknown): void => {
          const values = (reply as { result?: { features?: unknown[] } } | null)?.result?.features ?? [];
          if (values.length !== features) throw new Error(`REST reply has ${values.length} values, expected ${features}: ${JSON.stringify(reply).slice(0, 200)}`);
        };
        const srv = server;
        const emp = empty;
        const pairs: PairSpec[] = [
          {
            id: titles[0]!.id, title: titles[0]!.title, metric: "throughput", target: { kind: "ratio-min", value: 0.5 },
            subject: { label: "tessera REST get-features", run: closed(srv.url, tapes.rest, srv.pid), check: checkRest, onSample: (s: Sample) => (openRate = Math.max(1, Math.round(s.opsPerS * o.openFraction))) },
            baseline: { label: "bare node http JSON echo", run: closed(ctx.jsonEcho.url, tapes.rest, ctx.jsonEcho.pid) },
          },
          {
            id: titles[1]!.id, title: titles[1]!.title, metric: "latency", prime: false, target: { kind: "p99-max-us", value: 2000 },
            subject: { label: "tessera REST get-features, open loop", run: open(srv.url, srv.pid), check: checkRest },
            baseline: { label: "bare node http JSON echo, same rate", run: open(ctx.jsonEcho.url, ctx.jsonEcho.pid) },
          },
          {
            id: titles[2]!.id, title: titles[2]!.title, metric: "cpu", target: { kind: "cpu-max", value: 1.15 },
            subject: { label: "tessera Connect JSON", run: closed(srv.url, tapes.json, srv.pid) },
            baseline: { label: "empty connect-node FeatureService, Connect JSON", run: closed(emp.url, tapes.json, emp.pid) },
          },
          {
            id: titles[3]!.id, title: titles[3]!.title, metric: "cpu", target: { kind: "cpu-max", value: 1.15 },
            subject: { label: "tessera Connect binary", run: closed(srv.url, tapes.proto, srv.pid) },
            baseline: { label: "empty connect-node FeatureService, Connect binary", run: closed(emp.url, tapes.proto, emp.pid) },
          },
          {
            id: titles[4]!.id, title: titles[4]!.title, metric: "cpu", target: { kind: "cpu-max", value: 1.15 },
            subject: { label: "tessera gRPC (h2c)", run: h2(srv.url, srv.pid) },
            baseline: { label: "empty connect-node FeatureService, gRPC (h2c)", run: h2(emp.h2cUrl, emp.pid) },
          },
        ];
        const summaries = await measurePairs(ctx, pairs);
        return {
          id,
          group: "getfeatures",
          title,
          workload,
          skipped: null,
          conditions: {
            pack: `read-heavy: ${FEATURE_SUMMARY}; one feature service over all ${features} features (bench/serving/workload.ts)`,
            data: `${entities} entities × 2 events in one 1-day tile via /push_batch with the test clock pinned; reads 36 h later (every feature PRESENT)`,
            requests: `metadataOptions {includeNames, includeDataTypes}; ${work.jsonBytes} B JSON, ${work.protoBytes} B protobuf; keys uniform over the ${entities} entities`,
            load: `HTTP/1.1: ${o.connections} keep-alive connections, 1 in flight each (out-of-process generator); gRPC: ${o.connections} streams on 1 h2c session (node:http2 in the bench process)`,
            openLoop: `per round ${o.openFraction} × that round's REST max; latency from the due time; spin ${o.spin}`,
            baselines: "REST: bare node http JSON echo; Connect/gRPC: empty connect-node FeatureService returning Tessera's own reply (bench/serving/empty-connect-child.ts)",
            server: `tessera ${srv.flags.join(" ")}`,
          },
          pairs: summaries,
        };
      } catch (e) {
        return unmeasured({ id, group: "getfeatures", title, workload }, `setup failed: ${(e as Error).message.split("\n")[0]}`, titles);
      } finally {
        await empty?.stop();
        await server.stop();
      }
    },
  };
}
