/**
 * Starts the real Tessera server (the CLI) as a child for benches: memory-only, auth off, framed TCP
 * off, warn-level logs, ephemeral ports. Unlike test/helpers/spawn-server.ts it does not turn on test
 * mode, so the server runs the code path production runs.
 */
import { fileURLToPath } from "node:url";
import { baseUrl, parseHostPort, readyFields, spawnReady, TS_NODE_ARGS, type HostPort, type ReadyChild } from "./spawn-child.ts";

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));

export interface TesseraServer extends ReadyChild {
  readonly http: HostPort;
  /** The framed TCP listener; null when off (the default here; pass `--tcp 127.0.0.1:0` to enable). */
  readonly tcp: HostPort | null;
  readonly admin: HostPort;
  /** Base URL of the main (Connect + REST) port. */
  readonly url: string;
  readonly adminUrl: string;
}

export interface SpawnTesseraOptions {
  /** Extra node flags before the script, e.g. `--cpu-prof --cpu-prof-dir=DIR` to profile the server. */
  readonly nodeArgs?: readonly string[];
  /** Environment variables the server is meant to see, e.g. TESSERA_ADMIN_KEY. */
  readonly env?: Readonly<Record<string, string>>;
  /** Keep state in `dataDir` with this fsync mode instead of --memory-only (default: memory only). */
  readonly durable?: { readonly dataDir: string; readonly fsync: "always" | "interval" | "never" };
}

/** `extraArgs` are appended after the defaults, so they override them (commander keeps the last value). */
export async function spawnTessera(extraArgs: readonly string[] = [], options: SpawnTesseraOptions = {}): Promise<TesseraServer> {
  const args = [
    ...TS_NODE_ARGS,
    ...(options.nodeArgs ?? []),
    CLI,
    "serve",
    "--http", "127.0.0.1:0",
    "--tcp", "off",
    "--admin", "127.0.0.1:0",
    ...(options.durable === undefined ? ["--memory-only"] : ["--data-dir", options.durable.dataDir, "--fsync", options.durable.fsync]),
    "--auth", "off",
    "--log-level", "warn",
    ...extraArgs,
  ];
  // TESSERA_* variables from the caller's shell would silently change the configuration under test.
  const env = { ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("TESSERA_"))), ...options.env };
  const child = await spawnReady(process.execPath, args, { readyPattern: /tessera ready [^\n]*/, env });
  const fields = readyFields(child.readyLine, 2);
  const http = parseHostPort(fields["http"] as string);
  const admin = parseHostPort(fields["admin"] as string);
  const tcp = fields["tcp"] === undefined || fields["tcp"] === "off" ? null : parseHostPort(fields["tcp"]);
  return { ...child, http, tcp, admin, url: baseUrl(http), adminUrl: baseUrl(admin) };
}
