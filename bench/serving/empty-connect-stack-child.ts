/**
 * A diagnostic baseline: the same empty FeatureService as empty-connect-child.ts, served through
 * Tessera's own HTTP stack as src/server.ts wires it for an RPC: the dual-protocol front, the REST
 * router (holding the Tecton routes, which an RPC path misses) and createConnectHandler with its
 * metrics interceptor, limits and shutdown signal. Against the plain empty handler it measures what
 * the stack costs per RPC; against Tessera, what serving costs. Run as a child by empty-connect.ts;
 * same ready line, both protocols on one port.
 */
import { fromJson, type JsonValue } from "@bufbuild/protobuf";
import { FeatureService, GetFeaturesResponseSchema } from "../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import { Engine } from "../../src/engine/index.ts";
import { systemClock } from "../../src/service/clock.ts";
import { FeatureServing } from "../../src/service/feature-serving.ts";
import { createConnectHandler } from "../../src/transport/connect/connect-handler.ts";
import { DualProtocolServer } from "../../src/transport/http/dual-protocol-server.ts";
import { ServerMetrics } from "../../src/transport/metrics.ts";
import { RestRouter, send } from "../../src/transport/rest/rest-router.ts";
import { addTectonRoutes } from "../../src/transport/rest/tecton-routes.ts";

const fixed = process.env["BENCH_FIXED_RESPONSE"];
if (fixed === undefined) throw new Error("BENCH_FIXED_RESPONSE (the GetFeaturesResponse as protobuf JSON) is required");
const response = fromJson(GetFeaturesResponseSchema, JSON.parse(fixed) as JsonValue);

const metrics = new ServerMetrics();
const rest = new RestRouter();
// The routes only shape the router's miss path; a request never reaches this empty engine.
addTectonRoutes(rest, new FeatureServing({ engine: new Engine(), clock: systemClock }));
const connect = createConnectHandler({
  routes: (router) => router.service(FeatureService, { getFeatures: () => response }),
  metrics,
  shutdownSignal: new AbortController().signal,
  fallback: (_req, res) => send(res, { status: 404, body: { error: "not_found" } }),
});
const front = new DualProtocolServer((req, res) => {
  if (!rest.handle(req, res, metrics)) connect(req, res);
});
const at = await front.listen({ host: "127.0.0.1", port: 0 });
process.stdout.write(`empty-connect ready http=127.0.0.1:${at.port} h2c=127.0.0.1:${at.port}\n`);
process.on("SIGTERM", () => process.exit(0));
