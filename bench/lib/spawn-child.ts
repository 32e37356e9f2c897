/**
 * Servers under test run as child processes so they get a core of their own, apart from the load
 * generator in the bench process. This module starts a child, waits for the line on stdout that says
 * it is listening, and stops it again.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";

/** Flags that let the pinned Node 24 run TypeScript sources directly, as the server and benches do. */
export const TS_NODE_ARGS: readonly string[] = ["--experimental-transform-types", "--disable-warning=ExperimentalWarning"];

export interface ReadyChild {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The stdout line that matched `readyPattern`. */
  readonly readyLine: string;
  /** Everything the child wrote to stderr so far; surfaced in errors because that is where it logs. */
  stderr(): string;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with the exit code (null when killed by signal). */
  stop(graceMs?: number): Promise<number | null>;
}

export interface SpawnReadyOptions {
  /** Matched against accumulated stdout; the first match is the ready line. */
  readonly readyPattern: RegExp;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Give up (and kill the child) if it is not ready by then. Default 30 s: a cold TS transform is slow. */
  readonly timeoutMs?: number;
}

/** Spawns `command args` and resolves once stdout matches `readyPattern`; rejects if it exits first. */
export async function spawnReady(command: string, args: readonly string[], opts: SpawnReadyOptions): Promise<ReadyChild> {
  const child = spawn(command, args, {
    env: opts.env ?? process.env,
    cwd: opts.cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let err = "";
  child.stderr?.on("data", (c: Buffer) => (err += c.toString()));
  let out = "";
  let timer: NodeJS.Timeout | undefined;
  try {
    const readyLine = await new Promise<string>((resolve, reject) => {
      const onData = (c: Buffer): void => {
        out += c.toString();
        const m = opts.readyPattern.exec(out);
        if (m) {
          child.stdout?.off("data", onData);
          // Keep draining stdout so a chatty child never blocks on a full pipe.
          child.stdout?.resume();
          resolve(m[0]);
        }
      };
      child.stdout?.on("data", onData);
      child.once("error", reject);
      child.once("exit", (code, signal) =>
        reject(new Error(`${command} exited (code ${code}, signal ${signal}) before ready:\n${err}`)),
      );
      timer = setTimeout(
        () => reject(new Error(`${command} not ready after ${opts.timeoutMs ?? 30_000} ms:\n${err}`)),
        opts.timeoutMs ?? 30_000,
      );
    });
    return {
      child,
      pid: child.pid as number,
      readyLine,
      stderr: () => err,
      stop: (graceMs = 5_000) => stopChild(child, graceMs),
    };
  } catch (e) {
    child.kill("SIGKILL");
    throw e;
  } finally {
    clearTimeout(timer);
  }
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = once(child, "exit") as Promise<[number | null, NodeJS.Signals | null]>;
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  const [code] = await exited;
  clearTimeout(killer);
  return code;
}

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** Parses `host:port` or `[v6]:port`. */
export function parseHostPort(s: string): HostPort {
  const i = s.lastIndexOf(":");
  return { host: s.slice(0, i).replace(/^\[|\]$/g, ""), port: Number(s.slice(i + 1)) };
}

/** Parses the `key=value` fields after the first `skip` words of a ready line. */
export function readyFields(line: string, skip: number): Record<string, string> {
  return Object.fromEntries(
    line
      .trim()
      .split(/\s+/)
      .slice(skip)
      .map((kv) => {
        const i = kv.indexOf("=");
        return [kv.slice(0, i), kv.slice(i + 1)];
      }),
  );
}

/** `http://host:port`, bracketing IPv6 literals. */
export function baseUrl(addr: HostPort): string {
  return `http://${addr.host.includes(":") ? `[${addr.host}]` : addr.host}:${addr.port}`;
}
