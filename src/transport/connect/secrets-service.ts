import type { ServiceImpl } from "@connectrpc/connect";
import type { SecretsService } from "../../../gen/tessera/secrets/v1/secrets_service_pb.ts";
import type { Secrets } from "../../service/secrets-service.ts";
import { callerOf } from "./auth-service.ts";

/** SecretsService over Connect, gRPC and gRPC-web: a thin mapping onto the Secrets service. */
export function secretsServiceImpl(secrets: Secrets): ServiceImpl<typeof SecretsService> {
  return {
    createSecretScope: (req, ctx) => secrets.createScope(callerOf(ctx), req),
    listSecretScopes: (_req, ctx) => secrets.listScopes(callerOf(ctx)),
    deleteSecretScope: (req, ctx) => secrets.deleteScope(callerOf(ctx), req),
    listSecrets: (req, ctx) => secrets.listSecrets(callerOf(ctx), req),
    getSecretValue: (req, ctx) => secrets.getSecretValue(callerOf(ctx), req),
    putSecretValue: (req, ctx) => secrets.putSecretValue(callerOf(ctx), req),
    deleteSecret: (req, ctx) => secrets.deleteSecret(callerOf(ctx), req),
  };
}
