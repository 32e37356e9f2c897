import type { DataPlane } from "../../service/data-plane.ts";
import type { RestRouter } from "./rest-router.ts";

/** SKELETON (being written): the beava routes on the REST fast path. */
export function addBeavaRoutes(_router: RestRouter, _plane: DataPlane): void {}
