import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";

const CLI = fileURLToPath(new URL("../../src/cli/main.ts", import.meta.url));
export const NODE_ARGS = ["--experimental-transform-types", "--disable-warning=ExperimentalWarning"];

export interface SpawnedServer {
  readonly child: ChildProcess;
  /** Base URL of the HTTP port, e.g. http://127.0.0.1:40123 */
  readonly url: string;
  readonly http: { host: string; port: number };
  readonly tcp: { host: string; port: number } | null;
  readonly admin: { host: string; port: number };
  readonly adminUrl: string;
  /** Everything the server wrote to stderr so far (its logs). */
  stderr(): string;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
}

function parseAddr(s: string): { host: string; port: number } {
  const i = s.lastIndexOf(":");
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(s.slice(i + 1)) };
}

/** Where a ready server listens: the SpawnedServer fields its ready line gives. */
export type ServerAddresses = Pick<SpawnedServer, "url" | "http" | "tcp" | "admin" | "adminUrl">;

/**
 * Resolves once the child's stdout (as collected so far by `stdout()`) has the ready line
 * (`tessera ready http=H:P tcp=H:P|off admin=H:P …`), with the addresses it announces; rejects
 * with the child's stderr when it exits first.
 */
export async function whenReady(child: ChildProcess, stdout: () => string, stderr: () => string): Promise<ServerAddresses> {
  const line = await new Promise<string>((resolve, reject) => {
    const onData = (): void => {
      const m = /tessera ready [^\n]*/.exec(stdout());
      if (m === null) return;
      child.stdout?.off("data", onData);
      child.off("exit", onExit);
      resolve(m[0]);
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null): void => reject(new Error(`server exited (${code ?? signal}) before ready:\n${stderr()}`));
    child.stdout?.on("data", onData);
    child.once("exit", onExit);
    onData();
  });
  const fields = Object.fromEntries(line.split(" ").slice(2).map((kv) => kv.split("=") as [string, string]));
  const http = parseAddr(fields["http"] as string);
  const admin = parseAddr(fields["admin"] as string);
  const tcp = fields["tcp"] === "off" ? null : parseAddr(fields["tcp"] as string);
  return { url: `http://${http.host}:${http.port}`, http, tcp, admin, adminUrl: `http://${admin.host}:${admin.port}` };
}

/**
 * Starts the real server (the CLI, as a child process) on free ports and resolves once it prints its
 * ready line. Defaults: memory-only, auth off, test mode, warn-level logs.
 */
export async function spawnServer(args: string[] = [], env: Record<string, string> = {}): Promise<SpawnedServer> {
  const defaults = ["--http", "127.0.0.1:0", "--tcp", "127.0.0.1:0", "--admin", "127.0.0.1:0", "--log-level", "warn"];
  const child = spawn(process.execPath, [...NODE_ARGS, CLI, "serve", ...defaults, ...args], {
    env: { ...process.env, TESSERA_MEMORY_ONLY: "1", TESSERA_AUTH: "off", TESSERA_TEST_MODE: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  let out = "";
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (err += c));
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
  const addresses = await whenReady(child, () => out, () => err);
  return {
    child,
    ...addresses,
    stderr: () => err,
    async stop() {
      if (child.exitCode !== null) return child.exitCode;
      child.kill("SIGTERM");
      const [code] = (await once(child, "exit")) as [number | null];
      return code;
    },
  };
}
