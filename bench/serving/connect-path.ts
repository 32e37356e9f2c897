/**
 * The Connect handler's own work, in process, without the HTTP stack: CPU per call of what
 * connect-node does around a unary handler (decode the request, encode the reply) plus, for Tessera,
 * the FeatureService handler (read params, read the engine, build the reply message). The empty
 * baseline returns a fixed message of the same size. Measured in this process with the same service
 * and data as the server cases, alternating the two in each round, medians over rounds: it shows
 * what serving adds to a Connect call apart from the HTTP front, router, adapter options and metrics
 * that the server-level cases include.
 */
import { fromBinary, fromJson, toBinary, toJsonString, type JsonValue } from "@bufbuild/protobuf";
import { GetFeaturesRequestSchema, GetFeaturesResponseSchema } from "../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import { Engine } from "../../src/engine/index.ts";
import { TestClock } from "../../src/service/clock.ts";
import { MemoryCommandLog } from "../../src/service/command-log.ts";
import { DataPlane } from "../../src/service/data-plane.ts";
import { FeatureServing } from "../../src/service/feature-serving.ts";
import { median, range } from "../lib/stats.ts";
import { getFeaturesWorkload, preloadBodies, PUSH_AT_MS, READ_AT_MS, registerBody, type MetadataMode } from "./workload.ts";

export interface ConnectPathResult {
  readonly codec: "binary" | "json";
  /** CPU µs per call, medians over rounds. */
  readonly emptyUs: number;
  readonly tesseraUs: number;
  /** Tessera ÷ empty per round: median and spread. */
  readonly ratio: { readonly median: number; readonly min: number; readonly max: number };
}

function cpuUsPerCall(calls: number, f: (i: number) => unknown): number {
  const t0 = process.cpuUsage();
  for (let i = 0; i < calls; i++) f(i);
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / calls;
}

export function measureConnectPath(entities: number, metadata: MetadataMode, rounds: number, calls: number): ConnectPathResult[] {
  const engine = new Engine();
  const clock = new TestClock();
  const serving = new FeatureServing({ engine, clock });
  const plane = new DataPlane({ engine, log: new MemoryCommandLog(), clock, testClock: clock, serverVersion: "bench", onRegistryPlanned: (_ws, next) => serving.prepareRegistry(next) });
  plane.register(registerBody());
  clock.control({ now_ms: PUSH_AT_MS });
  for (const body of preloadBodies(entities)) plane.pushBatch(JSON.parse(body));
  clock.control({ now_ms: READ_AT_MS });
  const work = getFeaturesWorkload(Math.min(entities, 10_000), entities, metadata);
  const n = work.protoBodies.length;
  const fixed = serving.getFeaturesMessage(fromBinary(GetFeaturesRequestSchema, work.protoBodies[0]!));
  const jsonText = work.jsonBodies.map((b) => b.toString("utf8"));
  const decodeJson = (i: number) => fromJson(GetFeaturesRequestSchema, JSON.parse(jsonText[i % n]!) as JsonValue, { ignoreUnknownFields: true });
  const cases = {
    binary: {
      empty: (i: number) => (fromBinary(GetFeaturesRequestSchema, work.protoBodies[i % n]!), toBinary(GetFeaturesResponseSchema, fixed)),
      tessera: (i: number) => toBinary(GetFeaturesResponseSchema, serving.getFeaturesMessage(fromBinary(GetFeaturesRequestSchema, work.protoBodies[i % n]!))),
    },
    json: {
      empty: (i: number) => (decodeJson(i), toJsonString(GetFeaturesResponseSchema, fixed)),
      tessera: (i: number) => toJsonString(GetFeaturesResponseSchema, serving.getFeaturesMessage(decodeJson(i))),
    },
  };
  return (["binary", "json"] as const).map((codec) => {
    const c = cases[codec];
    // Warm both paths up before measuring either.
    cpuUsPerCall(calls, c.empty);
    cpuUsPerCall(calls, c.tessera);
    const empty: number[] = [];
    const tessera: number[] = [];
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? (["empty", "tessera"] as const) : (["tessera", "empty"] as const);
      for (const k of order) (k === "empty" ? empty : tessera).push(cpuUsPerCall(calls, c[k]));
    }
    const ratios = tessera.map((t, i) => t / empty[i]!);
    return { codec, emptyUs: median(empty), tesseraUs: median(tessera), ratio: { median: median(ratios), ...range(ratios) } };
  });
}
