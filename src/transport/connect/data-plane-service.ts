import type { ServiceImpl } from "@connectrpc/connect";
import type { DataPlaneService } from "../../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import type { DryRunResponse, RegisterResponse } from "../../engine/index.ts";
import type { DataPlane } from "../../service/data-plane.ts";
import { callerOf } from "./auth-service.ts";
import {
  batchGetBody,
  batchGetResponse,
  getBody,
  getResponse,
  pingResponse,
  pushBatchBody,
  pushBatchResponse,
  pushBody,
  pushResponse,
  pushStreamResponse,
  registerBody,
  registerResponse,
  resetBody,
  resetResponse,
} from "./data-plane-messages.ts";

/**
 * DataPlaneService over Connect, gRPC and gRPC-web: each RPC builds the beava body, calls the
 * DataPlane and maps the reply back. Thrown TesseraErrors become ConnectErrors in the handler's
 * interceptor (connect-handler.ts), through the one error table.
 */
export function dataPlaneServiceImpl(plane: DataPlane): ServiceImpl<typeof DataPlaneService> {
  return {
    async register(req, ctx) {
      // DataPlane.register answers the engine's register reply, or its dry-run reply.
      return registerResponse((await plane.register(registerBody(req), callerOf(ctx))) as RegisterResponse | DryRunResponse);
    },
    async push(req, ctx) {
      return pushResponse(await plane.push(pushBody(req), callerOf(ctx)));
    },
    async pushBatch(req, ctx) {
      return pushBatchResponse(await plane.pushBatch(pushBatchBody(req), callerOf(ctx)));
    },
    async pushStream(requests, ctx) {
      const writer = plane.openPushStream(callerOf(ctx));
      for await (const req of requests) writer.write(pushBody(req));
      return pushStreamResponse(await writer.finish());
    },
    get(req, ctx) {
      return getResponse(plane.get(getBody(req), callerOf(ctx)));
    },
    batchGet(req, ctx) {
      return batchGetResponse(plane.batchGet(batchGetBody(req), callerOf(ctx)));
    },
    ping(_req, ctx) {
      return pingResponse(plane.ping(callerOf(ctx)));
    },
    async reset(req, ctx) {
      return resetResponse(await plane.reset(resetBody(req), callerOf(ctx)));
    },
  };
}
