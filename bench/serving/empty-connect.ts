/**
 * Spawns the empty Connect FeatureService baseline (empty-connect-child.ts, or with `stack: "tessera"`
 * empty-connect-stack-child.ts) and parses its ready line.
 */
import { fileURLToPath } from "node:url";
import { baseUrl, parseHostPort, readyFields, spawnReady, TS_NODE_ARGS, type ReadyChild } from "../lib/spawn-child.ts";

/** The plain connect-node server, or the same handler inside Tessera's HTTP stack (a diagnostic). */
export type EmptyStack = "connect-node" | "tessera";

const CHILDREN: Readonly<Record<EmptyStack, string>> = {
  "connect-node": fileURLToPath(new URL("./empty-connect-child.ts", import.meta.url)),
  tessera: fileURLToPath(new URL("./empty-connect-stack-child.ts", import.meta.url)),
};

export interface EmptyConnect extends ReadyChild {
  /** HTTP/1.1 (Connect JSON and binary). */
  readonly url: string;
  /** h2c prior knowledge (gRPC). */
  readonly h2cUrl: string;
}

/**
 * `fixedResponse`: the protobuf JSON of the GetFeaturesResponse every call returns. `nodeArgs`: node
 * flags before the script (`--cpu-prof ...` to profile the baseline).
 */
export async function spawnEmptyConnect(fixedResponse: string, nodeArgs: readonly string[] = [], stack: EmptyStack = "connect-node"): Promise<EmptyConnect> {
  const env: NodeJS.ProcessEnv = { ...process.env, BENCH_FIXED_RESPONSE: fixedResponse };
  const child = await spawnReady(process.execPath, [...TS_NODE_ARGS, ...nodeArgs, CHILDREN[stack]], { readyPattern: /empty-connect ready [^\n]*/, env });
  const fields = readyFields(child.readyLine, 2);
  return { ...child, url: baseUrl(parseHostPort(fields["http"] as string)), h2cUrl: baseUrl(parseHostPort(fields["h2c"] as string)) };
}
