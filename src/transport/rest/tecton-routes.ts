import type { Caller } from "../../auth/caller.ts";
import type { FeatureServing } from "../../service/feature-serving.ts";
import type { Locator } from "../../serving/request-params.ts";
import { decodeJsonBody } from "../json-body.ts";
import type { RestHandler, RestReply, RestRequest, RestRouter } from "./rest-router.ts";

/**
 * Tecton's feature-service paths (DESIGN §5, tecton-behaviour.md §1.1): v1 with and without `/api`,
 * and v2 with the workspace and service in the path. Bodies are JSON whatever the Content-Type (the
 * docs' curl examples send none); errors are grpc-gateway bodies. The clock of a request starts
 * before its body is read, so a latency budget covers the whole request as the client sees it.
 */
export function addTectonRoutes(router: RestRouter, serving: FeatureServing): void {
  type Call = (body: unknown, path: Locator | undefined, startedAt: number, caller: Caller | undefined) => string;
  const v1 = (call: Call): RestHandler => (req) => {
    const startedAt = performance.now();
    return req.body().then((bytes) => reply(call(decodeJsonBody(bytes), undefined, startedAt, req.caller)));
  };
  const v2 = (call: Call): RestHandler => (req) => {
    const startedAt = performance.now();
    return req.body().then((bytes) => reply(call(decodeJsonBody(bytes), pathLocator(req), startedAt, req.caller)));
  };

  const getFeatures = v1((b, p, t, c) => serving.getFeatures(b, p, t, c));
  const getFeaturesBatch = v1((b, p, t, c) => serving.getFeaturesBatch(b, p, t, c));
  const metadata = v1((b, p, _t, c) => serving.metadata(b, p, c));
  for (const prefix of ["/api/v1/feature-service", "/v1/feature-service"]) {
    router
      .add("POST", `${prefix}/get-features`, getFeatures, "gateway")
      .add("POST", `${prefix}/get-features-batch`, getFeaturesBatch, "gateway")
      .add("POST", `${prefix}/metadata`, metadata, "gateway");
  }

  const v2Prefix = "/api/v2/workspaces/:workspace/feature-services/:featureService";
  router
    .add("POST", `${v2Prefix}/get-features`, v2((b, p, t, c) => serving.getFeatures(b, p, t, c)), "gateway")
    .add("POST", `${v2Prefix}/get-features-batch`, v2((b, p, t, c) => serving.getFeaturesBatch(b, p, t, c)), "gateway")
    // The v2 metadata call is a GET without a body.
    .add("GET", `${v2Prefix}/metadata`, (req) => reply(serving.metadata(undefined, pathLocator(req), req.caller)), "gateway");
}

function pathLocator(req: RestRequest): Locator {
  return { workspace: req.params["workspace"]!, featureService: req.params["featureService"]! };
}

function reply(json: string): RestReply {
  return { status: 200, body: json };
}
