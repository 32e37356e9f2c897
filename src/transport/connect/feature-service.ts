import type { ServiceImpl } from "@connectrpc/connect";
import type { FeatureService } from "../../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import type { FeatureServing } from "../../service/feature-serving.ts";
import { callerOf } from "./auth-service.ts";

/**
 * FeatureService over Connect, gRPC and gRPC-web. The messages mirror Tecton's bodies field for
 * field, so a Connect JSON body is a Tecton body. The service reads the request message into the same
 * params as the REST routes and builds the reply message from the same read, so both wires share
 * every check, value rule and metadata rule without a JSON round trip.
 */
export function featureServiceImpl(serving: FeatureServing): ServiceImpl<typeof FeatureService> {
  return {
    getFeatures: (req, ctx) => serving.getFeaturesMessage(req, performance.now(), callerOf(ctx)),
    getFeaturesBatch: (req, ctx) => serving.getFeaturesBatchMessage(req, performance.now(), callerOf(ctx)),
    metadata: (req, ctx) => serving.metadataMessage(req, callerOf(ctx)),
  };
}
