import type { ServiceImpl } from "@connectrpc/connect";
import type { WorkspaceService } from "../../../gen/tessera/workspace/v1/workspace_service_pb.ts";
import type { Workspaces } from "../../service/workspaces.ts";

/** WorkspaceService over Connect, gRPC and gRPC-web: a thin mapping onto the Workspaces service. */
export function workspaceServiceImpl(workspaces: Workspaces): ServiceImpl<typeof WorkspaceService> {
  return {
    create: (req) => workspaces.create({ name: req.name, live: req.live }),
    list: () => workspaces.list(),
    delete: (req) => workspaces.delete({ name: req.name }),
  };
}
