import type { DescService } from "@bufbuild/protobuf";
import type { ConnectRouter, ServiceImpl } from "@connectrpc/connect";
import { Health } from "../../../gen/grpc/health/v1/health_pb.ts";
import { AuthService } from "../../../gen/tessera/auth/v1/auth_service_pb.ts";
import { DataPlaneService } from "../../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import { FeatureService } from "../../../gen/tessera/featureservice/v1/feature_service_pb.ts";
import { SecretsService } from "../../../gen/tessera/secrets/v1/secrets_service_pb.ts";
import { WorkspaceService } from "../../../gen/tessera/workspace/v1/workspace_service_pb.ts";
import { healthService, type HealthState } from "./health-service.ts";
import { registerReflection } from "./reflection-service.ts";

/** The Tessera services, in the order they are listed by reflection. */
export const TESSERA_SERVICES: readonly DescService[] = [
  FeatureService,
  DataPlaneService,
  SecretsService,
  AuthService,
  WorkspaceService,
];

/** Implementations of the Tessera services; methods not given answer `unimplemented`. */
export interface ServiceImpls {
  readonly featureService?: Partial<ServiceImpl<typeof FeatureService>>;
  readonly dataPlane?: Partial<ServiceImpl<typeof DataPlaneService>>;
  readonly secrets?: Partial<ServiceImpl<typeof SecretsService>>;
  readonly auth?: Partial<ServiceImpl<typeof AuthService>>;
  readonly workspace?: Partial<ServiceImpl<typeof WorkspaceService>>;
}

export function connectRoutes(impls: ServiceImpls, health: HealthState): (router: ConnectRouter) => void {
  return (router) => {
    router.service(FeatureService, impls.featureService ?? {});
    router.service(DataPlaneService, impls.dataPlane ?? {});
    router.service(SecretsService, impls.secrets ?? {});
    router.service(AuthService, impls.auth ?? {});
    router.service(WorkspaceService, impls.workspace ?? {});
    router.service(Health, healthService(health));
    registerReflection(router, [...TESSERA_SERVICES, Health]);
  };
}
