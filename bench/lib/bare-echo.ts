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

export interface BareEchoOptions {
  /**
   * JSON echo: JSON.parse every request body and answer JSON.stringify of a small object
   * (`{"ack_lsn":n,"idempotent_replay":false,"registry_version":1}`) instead of the fixed body.
   */
  readonly json?: boolean;
  /** Node flags before the script, e.g. `--cpu-prof` to profile the baseline. */
  readonly nodeArgs?: readonly string[];
}

/** `responseBody` is what every request gets back; default `{"status":"ok"}` (ignored with `json`). */
export async function spawnBareEcho(responseBody?: string, options: BareEchoOptions = {}): Promise<BareEcho> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (responseBody !== undefined) env["BENCH_ECHO_BODY"] = responseBody;
  if (options.json === true) env["BENCH_ECHO_JSON"] = "1";
  const child = await spawnReady(process.execPath, [...TS_NODE_ARGS, ...(options.nodeArgs ?? []), CHILD], { readyPattern: /echo ready [^\n]*/, env });
  const fields = readyFields(child.readyLine, 2);
  const http = parseHostPort(fields["http"] as string);
  const h2c = parseHostPort(fields["h2c"] as string);
  return { ...child, http, url: baseUrl(http), h2c, h2cUrl: baseUrl(h2c) };
}
