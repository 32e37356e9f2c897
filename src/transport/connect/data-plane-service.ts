import type { ServiceImpl } from "@connectrpc/connect";
import type { DataPlaneService } from "../../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import type { DryRunResponse, RegisterResponse } from "../../engine/index.ts";
import type { DataPlane } from "../../service/data-plane.ts";
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
    async register(req) {
      // DataPlane.register answers the engine's register reply, or its dry-run reply.
      return registerResponse((await plane.register(registerBody(req))) as RegisterResponse | DryRunResponse);
    },
    async push(req) {
      return pushResponse(await plane.push(pushBody(req)));
    },
    async pushBatch(req) {
      return pushBatchResponse(await plane.pushBatch(pushBatchBody(req)));
    },
    async pushStream(requests) {
      const writer = plane.openPushStream();
      for await (const req of requests) writer.write(pushBody(req));
      return pushStreamResponse(await writer.finish());
    },
    get(req) {
      return getResponse(plane.get(getBody(req)));
    },
    batchGet(req) {
      return batchGetResponse(plane.batchGet(batchGetBody(req)));
    },
    ping() {
      return pingResponse(plane.ping());
    },
    async reset(req) {
      return resetResponse(await plane.reset(resetBody(req)));
    },
  };
}
