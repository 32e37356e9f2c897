/** Spawns bare-frame-echo-child.ts (the framed-TCP echo baseline) and parses its ready line. */
import { fileURLToPath } from "node:url";
import { parseHostPort, readyFields, spawnReady, TS_NODE_ARGS, type HostPort, type ReadyChild } from "./spawn-child.ts";

const CHILD = fileURLToPath(new URL("./bare-frame-echo-child.ts", import.meta.url));

export interface BareFrameEcho extends ReadyChild {
  readonly tcp: HostPort;
}

/** `nodeArgs`: node flags before the script, e.g. `--cpu-prof` to profile the baseline. */
export async function spawnBareFrameEcho(nodeArgs: readonly string[] = []): Promise<BareFrameEcho> {
  const child = await spawnReady(process.execPath, [...TS_NODE_ARGS, ...nodeArgs, CHILD], { readyPattern: /frame-echo ready [^\n]*/ });
  return { ...child, tcp: parseHostPort(readyFields(child.readyLine, 2)["tcp"] as string) };
}
