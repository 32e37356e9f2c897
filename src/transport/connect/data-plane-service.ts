import type { ServiceImpl } from "@connectrpc/connect";
import type { DataPlaneService } from "../../../gen/tessera/dataplane/v1/data_plane_service_pb.ts";
import type { DataPlane } from "../../service/data-plane.ts";

/** SKELETON (being written): DataPlaneService over Connect, gRPC and gRPC-web. */
export function dataPlaneServiceImpl(_plane: DataPlane): Partial<ServiceImpl<typeof DataPlaneService>> {
  return {};
}
