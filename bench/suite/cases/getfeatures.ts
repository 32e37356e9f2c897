/**
 * GetFeatures on the read-heavy pack (bench/serving's workload: 10 tables × 3 tiled features behind
 * one feature service, Tecton's published benchmark shape), with bench/serving's setup and baselines:
 *   REST max      POST /api/v1/feature-service/get-features, closed loop  vs the JSON echo     target ≥ 0.5 × req/s
 *   REST latency  open loop at `openFraction` × the same round's REST max vs the echo, same rate target p99 < 2 ms
 *   Connect JSON, Connect binary (HTTP/1.1) and gRPC (h2c)                 vs an empty connect-node
 *                 FeatureService returning Tessera's own reply             target ≤ 1.15 × server CPU/req
 */
import { servingPairs, TARGETS } from "../../serving/cases.ts";
import { spawnEmptyConnect } from "../../serving/empty-connect.ts";
import { checkReplies, prepareTessera } from "../../serving/setup.ts";
import { FEATURE_SUMMARY, FEATURES_PER_TABLE, getFeaturesWorkload, TABLES } from "../../serving/workload.ts";
import { track } from "../children.ts";
import { measureCase, onFreshServer, pairSteps, type CaseResult, type CaseSpec, type SuiteContext } from "../context.ts";
import { compact } from "../keys.ts";
import type { SuiteOptions } from "../options.ts";
import type { PairSpec } from "../pairs.ts";

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
  const spec = { id, group: "getfeatures" as const, title, workload };
  return {
    ...spec,
    steps: pairSteps(o, 4, 1, 1),
    run: (ctx: SuiteContext): Promise<CaseResult> =>
      onFreshServer(spec, titles, { testMode: true }, async (srv) => {
        const work = getFeaturesWorkload(Math.min(o.tapeEvents, 10_000), entities, "names");
        const t0 = performance.now();
        const { connectJsonReply } = await prepareTessera(srv, entities, work.jsonBodies[0]!);
        ctx.log(`${id}: registered and preloaded ${entities} entities in ${Math.round(performance.now() - t0)} ms`);
        const empty = track(await spawnEmptyConnect(connectJsonReply));
        try {
          await checkReplies(srv.url, empty, work, "names");
          ctx.step(`${id}: setup`);
          let openRate: number | null = null;
          const sides = servingPairs({ gen: ctx.gen, connections: o.connections, spin: o.spin, drainTimeoutMs: o.quick ? 3_000 : 10_000, rate: () => openRate }, work, { tessera: srv, echo: ctx.jsonEcho, empty });
          const features = TABLES * FEATURES_PER_TABLE;
          const connect = { metric: "cpu", target: { kind: "cpu-max", value: TARGETS.connectCpu } } as const;
          const pairs: PairSpec[] = [
            {
              id: titles[0]!.id, title: titles[0]!.title, metric: "throughput", target: { kind: "ratio-min", value: TARGETS.restRatio },
              ...sides.restMax,
              // Each round's open loop runs at a fraction of the REST max Tessera reached just before.
              subject: { ...sides.restMax.subject, onSample: (s) => (openRate = Math.max(1, Math.round(s.opsPerS * o.openFraction))) },
            },
            { id: titles[1]!.id, title: titles[1]!.title, metric: "latency", prime: false, target: { kind: "p99-max-us", value: TARGETS.restP99Us }, ...sides.restOpen },
            { id: titles[2]!.id, title: titles[2]!.title, ...connect, ...sides.connectJson },
            { id: titles[3]!.id, title: titles[3]!.title, ...connect, ...sides.connectProto },
            { id: titles[4]!.id, title: titles[4]!.title, ...connect, ...sides.grpc },
          ];
          return await measureCase(ctx, spec, pairs, {
            pack: `read-heavy: ${FEATURE_SUMMARY}; one feature service over all ${features} features (bench/serving/workload.ts)`,
            data: `${entities} entities × 2 events in one 1-day tile via /push_batch with the test clock pinned; reads 36 h later (every feature PRESENT)`,
            requests: `metadataOptions {includeNames, includeDataTypes}; ${work.jsonBytes} B JSON, ${work.protoBytes} B protobuf; keys uniform over the ${entities} entities`,
            load: `HTTP/1.1: ${o.connections} keep-alive connections, 1 in flight each (out-of-process generator); gRPC: ${o.connections} streams on 1 h2c session (node:http2 in the bench process)`,
            openLoop: `per round ${o.openFraction} × that round's REST max; latency from the due time; spin ${o.spin}`,
            baselines: "REST: bare node http JSON echo; Connect/gRPC: empty connect-node FeatureService returning Tessera's own reply (bench/serving/empty-connect-child.ts)",
            server: `tessera ${srv.flags.join(" ")}`,
          });
        } finally {
          await empty.stop();
        }
      }),
  };
}
