import type { ServiceImpl } from "@connectrpc/connect";
import type { WorkspaceService } from "../../../gen/tessera/workspace/v1/workspace_service_pb.ts";
import type { Workspaces } from "../../service/workspaces.ts";
import { callerOf } from "./auth-service.ts";

/** WorkspaceService over Connect, gRPC and gRPC-web: a thin mapping onto the Workspaces service. */
export function workspaceServiceImpl(workspaces: Workspaces): ServiceImpl<typeof WorkspaceService> {
  return {
    create: (req, ctx) => workspaces.create({ name: req.name, live: req.live }, callerOf(ctx)),
    list: (_req, ctx) => workspaces.list(callerOf(ctx)),
    delete: (req, ctx) => workspaces.delete({ name: req.name }, callerOf(ctx)),
  };
}
