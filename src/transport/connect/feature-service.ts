import { fromJson, toJson } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  GetFeaturesBatchRequestSchema,
  GetFeaturesBatchResponseSchema,
  GetFeaturesRequestSchema,
  GetFeaturesResponseSchema,
  MetadataRequestSchema,
  MetadataResponseSchema,
  type FeatureService,
} from "../../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import type { FeatureServing } from "../../service/feature-serving.ts";

/**
 * FeatureService over Connect, gRPC and gRPC-web. The messages mirror Tecton's bodies field for
 * field, so a request's protobuf JSON is exactly what the Tecton REST routes parse, and the service's
 * Tecton JSON reply parses straight into the response message: both wires share every check and
 * encoder. The extra JSON round trip is the price of keeping one serving path; the REST routes are
 * the fast path (DESIGN §8).
 */
export function featureServiceImpl(serving: FeatureServing): ServiceImpl<typeof FeatureService> {
  return {
    getFeatures(req) {
      const startedAt = performance.now();
      const reply = serving.getFeatures(toJson(GetFeaturesRequestSchema, req), undefined, startedAt);
      return fromJson(GetFeaturesResponseSchema, JSON.parse(reply));
    },
    getFeaturesBatch(req) {
      const startedAt = performance.now();
      const reply = serving.getFeaturesBatch(toJson(GetFeaturesBatchRequestSchema, req), undefined, startedAt);
      return fromJson(GetFeaturesBatchResponseSchema, JSON.parse(reply));
    },
    metadata(req) {
      return fromJson(MetadataResponseSchema, JSON.parse(serving.metadata(toJson(MetadataRequestSchema, req))));
    },
  };
}
