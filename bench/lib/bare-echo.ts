/** Spawns bare-echo-child.ts (the "bare node http echo" baseline) and parses its ready line. */
import { fileURLToPath } from "node:url";
import { baseUrl, parseHostPort, readyFields, spawnReady, TS_NODE_ARGS, type HostPort, type ReadyChild } from "./spawn-child.ts";

const CHILD = fileURLToPath(new URL("./bare-echo-child.ts", import.meta.url));

export interface BareEcho extends ReadyChild {
  /** HTTP/1.1 listener: the baseline. */
  readonly http: HostPort;
  readonly url: string;
  /** h2c (prior knowledge) listener answering the same body. */
  readonly h2c: HostPort;
  readonly h2cUrl: string;
}

/** `responseBody` is what every request gets back; default `{"status":"ok"}`. */
export async function spawnBareEcho(responseBody?: string): Promise<BareEcho> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (responseBody !== undefined) env["BENCH_ECHO_BODY"] = responseBody;
  const child = await spawnReady(process.execPath, [...TS_NODE_ARGS, CHILD], { readyPattern: /echo ready [^\n]*/, env });
  const fields = readyFields(child.readyLine, 2);
  const http = parseHostPort(fields["http"] as string);
  const h2c = parseHostPort(fields["h2c"] as string);
  return { ...child, http, url: baseUrl(http), h2c, h2cUrl: baseUrl(h2c) };
}
