/** A measurement in a child process of its own (a clean heap, its own core): run to completion, one JSON line back. */
import { execFile } from "node:child_process";
import { TS_NODE_ARGS } from "./spawn-child.ts";

export interface JsonChildOptions {
  /** Node flags before the script, e.g. --expose-gc. */
  readonly nodeArgs?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  readonly timeoutMs: number;
  /** Names the child in errors, e.g. "memory child (fraud, 100000)". */
  readonly what: string;
}

/** Runs `script` with `args` and parses the last line of its stdout; rejects with the tail of its stderr. */
export async function runJsonChild<T>(script: string, args: readonly string[], o: JsonChildOptions): Promise<T> {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, [...(o.nodeArgs ?? []), ...TS_NODE_ARGS, script, ...args], { env: o.env ?? process.env, maxBuffer: 1 << 20, timeout: o.timeoutMs }, (err, out, errOut) => {
      if (err !== null) reject(new Error(`${o.what}: ${err.message.split("\n")[0]} ${String(errOut).trim().split("\n").slice(-3).join(" | ")}`));
      else resolve(out);
    });
  });
  return JSON.parse(stdout.trim().split("\n").at(-1) ?? "") as T;
}
