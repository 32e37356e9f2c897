/**
 * A long-lived child process that runs one job at a time over IPC: the load generators, which must
 * not share an event loop with the bench or with the server under test. `JobChild` is the parent's
 * side, `serveJobs` the child's.
 */
import { fork, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { TS_NODE_ARGS } from "./spawn-child.ts";

type Reply = { ok: true; result: unknown } | { ok: false; error: string };

export class JobChild {
  /** The job in progress: settled by the child's reply or its exit. */
  private pending: { resolve: (r: unknown) => void; reject: (e: Error) => void } | null = null;

  private constructor(
    private readonly child: ChildProcess,
    /** Prefixes every error, e.g. "tcp load". */
    private readonly name: string,
  ) {
    child.on("message", (m: Reply) => {
      const p = this.pending;
      this.pending = null;
      if (p === null) return;
      if (m.ok) p.resolve(m.result);
      else p.reject(new Error(`${name}: ${m.error}`));
    });
    child.on("exit", (code) => {
      const p = this.pending;
      this.pending = null;
      p?.reject(new Error(`${name} child exited with ${code} during a job`));
    });
  }

  /** Forks `script` and waits for its `serveJobs` to be ready. */
  static async start(script: string, name: string, env: NodeJS.ProcessEnv = process.env): Promise<JobChild> {
    const child = fork(script, [], { execArgv: [...TS_NODE_ARGS], env, stdio: ["ignore", "inherit", "inherit", "ipc"] });
    const [msg] = (await Promise.race([
      once(child, "message"),
      once(child, "exit").then(([code]) => {
        throw new Error(`${name} child exited with ${code} before ready`);
      }),
    ])) as [unknown];
    if ((msg as { ready?: boolean }).ready !== true) throw new Error(`${name} child: unexpected ${JSON.stringify(msg)}`);
    return new JobChild(child, name);
  }

  get pid(): number {
    return this.child.pid as number;
  }

  call(job: unknown): Promise<unknown> {
    if (this.pending !== null) return Promise.reject(new Error(`${this.name}: one job at a time`));
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.reject(new Error(`${this.name} child has exited`));
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.child.send(job as object);
    });
  }

  async close(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) {
      const exited = once(this.child, "exit");
      this.child.kill("SIGTERM");
      await exited;
    }
  }
}

/** In the child: answers every job with `run`'s result or error, then tells the parent it is ready. */
export function serveJobs<J>(run: (job: J) => Promise<unknown>): void {
  process.on("message", (job: J) => {
    run(job).then(
      (result) => process.send?.({ ok: true, result }),
      (e: unknown) => process.send?.({ ok: false, error: e instanceof Error ? (e.stack ?? e.message) : String(e) }),
    );
  });
  process.send?.({ ready: true });
}
