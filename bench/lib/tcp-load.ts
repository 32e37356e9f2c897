/**
 * Framed-TCP load (DESIGN §5), or raw HTTP/1.1 load (`protocol: "http1"`, requests from
 * http1-tape.ts), from a separate process (tcp-load-child.ts), so the generator neither shares an
 * event loop with the bench nor with the server under test, and costs far less per request than
 * node's HTTP client (load.ts).
 *
 * - closed loop, pipelined: `connections` sockets each keep `depth` frames in flight; as replies
 *   arrive (strict FIFO), the same number of frames is sent again. Throughput = replies per second.
 * - open loop: frames are due at a fixed total rate, spread round-robin over the connections, and sent
 *   when due whatever the replies do; latency runs from the due time (no coordinated omission), and
 *   `sendLag` says how late the generator itself was.
 *
 * Requests come from a tape: pre-encoded frames back to back (frames.ts `buildTape`), cycled.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { JobChild } from "./job-child.ts";
import type { ObservedProcess } from "./load.ts";
import type { LatencySummary } from "./stats.ts";

const CHILD = fileURLToPath(new URL("./tcp-load-child.ts", import.meta.url));

interface JobBase {
  /**
   * "frames" (default): Tessera's framed TCP. "http1": raw HTTP/1.1 keep-alive requests from an
   * http1-tape.ts tape; responses are framed by Content-Length and `expectOp` is the expected status.
   * Pipelining is the server's to support: use depth 1 for HTTP/1.1 as browsers and node do.
   */
  readonly protocol?: "frames" | "http1";
  readonly host: string;
  readonly port: number;
  readonly connections: number;
  readonly warmupMs: number;
  readonly durationMs: number;
  readonly tapePath: string;
  /** Success reply op; any other op counts as an error (its payload is decoded into firstError). */
  readonly expectOp: number;
  /** Processes whose CPU over the window is reported (the server under test). */
  readonly observePids: readonly number[];
}

export interface TcpClosedJob extends JobBase {
  readonly kind: "closed";
  /** Frames in flight per connection. */
  readonly depth: number;
}

export interface TcpOpenJob extends JobBase {
  readonly kind: "open";
  /** Total arrival rate, frames per second, over all connections. */
  readonly ratePerS: number;
  /**
   * After the window the schedule continues until every request due in it is answered, for at most
   * this long; measured requests still unanswered then count as errors.
   */
  readonly drainTimeoutMs: number;
  /**
   * Busy-wait (setImmediate) the last millisecond before each due time, so frames leave on time
   * rather than on the next 1 ms timer tick; costs a generator core at high rates. Due frames are
   * also sent whenever replies arrive.
   */
  readonly spin: boolean;
}

export type TcpJob = TcpClosedJob | TcpOpenJob;

export interface SampleFrame {
  readonly op: number;
  readonly ct: number;
  readonly payloadBytes: number;
  readonly body: unknown;
}

export interface TcpLoadResult {
  readonly kind: "closed" | "open";
  /** Successful replies: received in the window (closed), or to requests due in the window (open). */
  readonly frames: number;
  readonly errors: number;
  readonly firstError: string | null;
  readonly elapsedS: number;
  /** Frames per second: replies per second (closed) or the achieved arrival rate (open). */
  readonly fps: number;
  /** Closed: send → reply (includes queueing behind the pipeline). Open: due time → reply. */
  readonly latency: LatencySummary;
  /** Open loop only: how late frames were sent after their due time. */
  readonly sendLag: LatencySummary | null;
  /** Open loop: requests due in the measured window. */
  readonly scheduled: number | null;
  /**
   * Open loop: requests sent after the window (the schedule runs on until the measured ones are
   * answered) still unanswered 2 s after it stopped; not errors, but a sign of a stalled server.
   */
  readonly tailUnanswered: number | null;
  /** The generator process's CPU over the window, % of one core. */
  readonly clientCpuPct: number;
  /** cpuUsPerRequest is per reply (closed) or per due request (open). */
  readonly observed: readonly ObservedProcess[];
  readonly tapeFrames: number;
  /** The first successful reply, decoded. */
  readonly sample: SampleFrame | null;
}

/** A long-lived generator child; `run` one job at a time. */
export class TcpLoadGenerator {
  private readonly dir = mkdtempSync(join(tmpdir(), "tessera-tcp-tapes-"));
  private tapes = 0;

  private constructor(private readonly child: JobChild) {}

  static async start(): Promise<TcpLoadGenerator> {
    return new TcpLoadGenerator(await JobChild.start(CHILD, "tcp load"));
  }

  get pid(): number {
    return this.child.pid;
  }

  /** Stores a tape where the child can read it; returns the path to put in jobs. */
  saveTape(tape: Buffer): string {
    const path = join(this.dir, `tape-${this.tapes++}.bin`);
    writeFileSync(path, tape);
    return path;
  }

  run(job: TcpJob): Promise<TcpLoadResult> {
    return this.child.call(job) as Promise<TcpLoadResult>;
  }

  async close(): Promise<void> {
    await this.child.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
