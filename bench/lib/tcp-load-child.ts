/**
 * The out-of-process load generator (framed TCP, or raw HTTP/1.1), run by tcp-load.ts so it has an
 * event loop (and, on a 2-core machine, close to a core) to itself. It receives jobs over IPC and
 * answers each with one result message; see tcp-load.ts for the job and result shapes.
 *
 * It is built to be cheap per request: requests come from a pre-encoded tape (frames or HTTP requests
 * back to back), sent as subarrays of it with no per-request allocation; replies are only framed
 * (frame length and op, or HTTP status and Content-Length; payloads skipped), counted and timed,
 * except the first reply and the first unexpected one, whose payloads are kept for checking.
 * Timestamps are taken once per socket read and once per write.
 */
import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { performance } from "node:perf_hooks";
import { unpack } from "msgpackr";
import { CT_JSON, CT_MSGPACK, HEADER_BYTES, tapeOffsets } from "./frames.ts";
import { http1TapeOffsets, parseResponseHead } from "./http1-tape.ts";
import { serveJobs } from "./job-child.ts";
import { processCpuMs } from "./machine.ts";
import { LatencyRecorder } from "./stats.ts";
import type { SampleFrame, TcpJob, TcpLoadResult } from "./tcp-load.ts";

interface Tape {
  readonly buf: Buffer;
  /** n + 1 offsets: frame i is buf[offsets[i], offsets[i + 1]). */
  readonly offsets: Uint32Array;
  readonly frames: number;
}

const tapes = new Map<string, Tape>();

const CRLF2 = Buffer.from("\r\n\r\n");

function loadTape(path: string, http: boolean): Tape {
  let t = tapes.get(path);
  if (t === undefined) {
    const buf = readFileSync(path);
    const offsets = http ? http1TapeOffsets(buf) : tapeOffsets(buf);
    t = { buf, offsets, frames: offsets.length - 1 };
    tapes.set(path, t);
  }
  return t;
}

function decodeSample(op: number, ct: number, payload: Buffer): SampleFrame {
  let body: unknown;
  try {
    body = ct === CT_MSGPACK ? unpack(payload) : JSON.parse(payload.toString("utf8"));
  } catch {
    body = payload.toString("utf8").slice(0, 200);
  }
  return { op, ct, payloadBytes: payload.length, body };
}

/** One pipelined connection: send slices of the tape, frame the replies, keep a FIFO of send times. */
class Conn {
  readonly socket: Socket;
  /** Next tape frame to send. */
  cursor: number;
  inflight = 0;
  /** Send (or scheduled) time of each in-flight frame, FIFO ring. */
  private times: Float64Array;
  private head = 0;
  private tail = 0;
  // Reply framing state.
  private hdr = Buffer.alloc(HEADER_BYTES);
  private hdrFill = 0;
  private skip = 0;
  private curOp = 0;
  private curCt = 0;
  private capture: Buffer[] | null = null;

  constructor(
    private readonly gen: Generator,
    host: string,
    port: number,
    startFrame: number,
    ringSize: number,
  ) {
    this.cursor = startFrame;
    this.times = new Float64Array(ringSize);
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on("data", (chunk: Buffer) => this.onData(chunk));
    this.socket.on("error", (e) => gen.fail(`socket: ${e.message}`));
    this.socket.on("close", () => {
      if (!gen.stopping) gen.fail("connection closed by the server");
    });
  }

  /** Due/send time of the oldest frame in flight; +∞ when none. */
  oldestDue(): number {
    return this.inflight === 0 ? Number.POSITIVE_INFINITY : (this.times[this.head] as number);
  }

  /** In-flight frames stamped before `t` (stamps are ascending in FIFO order). */
  countDueBefore(t: number): number {
    let k = 0;
    while (k < this.inflight && (this.times[(this.head + k) % this.times.length] as number) < t) k++;
    return k;
  }

  private pushTime(t: number): void {
    if (this.inflight === this.times.length) {
      // Grow (open loop with a slow server): unroll the ring into a buffer twice as large.
      const next = new Float64Array(this.times.length * 2);
      for (let i = 0; i < this.inflight; i++) next[i] = this.times[(this.head + i) % this.times.length] as number;
      this.times = next;
      this.head = 0;
      this.tail = this.inflight;
    }
    this.times[this.tail] = t;
    this.tail = (this.tail + 1) % this.times.length;
    this.inflight++;
  }

  /** Sends the next `k` tape frames (one or two writes); `stamp(i)` gives frame i's start time. */
  send(k: number, stamp: number | ((i: number) => number)): void {
    const tape = this.gen.tape;
    let left = k;
    let i = 0;
    while (left > 0) {
      const end = Math.min(tape.frames, this.cursor + left);
      this.socket.write(tape.buf.subarray(tape.offsets[this.cursor] as number, tape.offsets[end] as number));
      const n = end - this.cursor;
      for (let j = 0; j < n; j++) this.pushTime(typeof stamp === "number" ? stamp : stamp(i++));
      left -= n;
      this.cursor = end === tape.frames ? 0 : end;
    }
  }

  private onData(chunk: Buffer): void {
    if (this.gen.http) {
      this.onHttpData(chunk);
      return;
    }
    const now = performance.now();
    const len = chunk.length;
    let at = 0;
    let done = 0;
    while (at < len) {
      if (this.skip > 0) {
        at += this.skipBody(chunk, at, now);
        if (this.skip === 0) done++;
        continue;
      }
      // Header: the fast path reads it in place; a header split across reads is assembled in hdr.
      let frameLen: number;
      if (this.hdrFill === 0 && len - at >= HEADER_BYTES) {
        frameLen = chunk.readUInt32BE(at);
        this.curOp = chunk.readUInt16BE(at + 4);
        this.curCt = chunk[at + 6] as number;
        at += HEADER_BYTES;
      } else {
        const n = Math.min(HEADER_BYTES - this.hdrFill, len - at);
        chunk.copy(this.hdr, this.hdrFill, at, at + n);
        this.hdrFill += n;
        at += n;
        if (this.hdrFill < HEADER_BYTES) break;
        this.hdrFill = 0;
        frameLen = this.hdr.readUInt32BE(0);
        this.curOp = this.hdr.readUInt16BE(4);
        this.curCt = this.hdr[6] as number;
      }
      this.skip = frameLen - 3;
      if (this.gen.wantsPayload(this.curOp)) this.capture = [];
      if (this.skip === 0) {
        this.frameDone(now);
        done++;
      }
    }
    if (done > 0) this.gen.afterReplies(this);
  }

  /** Consumes (and captures when asked) reply body bytes from `at`; completes the reply when its last byte is read. */
  private skipBody(buf: Buffer, at: number, now: number): number {
    const n = Math.min(this.skip, buf.length - at);
    if (this.capture !== null) this.capture.push(buf.subarray(at, at + n));
    this.skip -= n;
    if (this.skip === 0) this.frameDone(now);
    return n;
  }

  /** Partial HTTP response head carried over to the next read. */
  private partialHead: Buffer | null = null;

  /** HTTP/1.1 responses: the head is parsed (status, Content-Length), the body skipped. */
  private onHttpData(chunk: Buffer): void {
    const now = performance.now();
    const buf = this.partialHead === null ? chunk : Buffer.concat([this.partialHead, chunk]);
    this.partialHead = null;
    const len = buf.length;
    let at = 0;
    let done = 0;
    while (at < len) {
      if (this.skip > 0) {
        at += this.skipBody(buf, at, now);
        if (this.skip === 0) done++;
        continue;
      }
      const end = buf.indexOf(CRLF2, at);
      if (end < 0) {
        this.partialHead = buf.subarray(at);
        break;
      }
      const head = parseResponseHead(buf.toString("latin1", at, end));
      at = end + 4;
      if (head.length < 0) {
        this.gen.fail("chunked HTTP responses are not supported by this generator");
        this.socket.destroy();
        return;
      }
      this.curOp = head.status;
      this.curCt = CT_JSON;
      this.skip = head.length;
      if (this.gen.wantsPayload(this.curOp)) this.capture = [];
      if (this.skip === 0) {
        this.frameDone(now);
        done++;
      }
    }
    if (done > 0) this.gen.afterReplies(this);
  }

  private frameDone(now: number): void {
    const t0 = this.times[this.head] as number;
    this.head = (this.head + 1) % this.times.length;
    this.inflight--;
    if (this.capture !== null) {
      this.gen.captured(decodeSample(this.curOp, this.curCt, Buffer.concat(this.capture)));
      this.capture = null;
    }
    this.gen.reply(this.curOp, t0, now);
  }
}

/** A FIFO of due times (ascending), for HTTP requests waiting for a free connection. */
class DueQueue {
  private buf = new Float64Array(1024);
  private head = 0;
  size = 0;

  push(t: number): void {
    if (this.size === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      for (let i = 0; i < this.size; i++) next[i] = this.buf[(this.head + i) % this.buf.length] as number;
      this.buf = next;
      this.head = 0;
    }
    this.buf[(this.head + this.size) % this.buf.length] = t;
    this.size++;
  }

  /** The oldest due time; +∞ when empty. */
  peek(): number {
    return this.size === 0 ? Number.POSITIVE_INFINITY : (this.buf[this.head] as number);
  }

  shift(): number {
    const t = this.buf[this.head] as number;
    this.head = (this.head + 1) % this.buf.length;
    this.size--;
    return t;
  }

  countBefore(t: number): number {
    let k = 0;
    while (k < this.size && (this.buf[(this.head + k) % this.buf.length] as number) < t) k++;
    return k;
  }
}

class Generator {
  readonly tape: Tape;
  /** Raw HTTP/1.1 instead of frames: `expectOp` is then the expected status. */
  readonly http: boolean;
  readonly conns: Conn[] = [];
  stopping = false;
  /** Replies (any op) and failures. */
  errors = 0;
  firstError: string | null = null;
  sample: SampleFrame | null = null;
  private wantSample = true;
  private wantError = true;
  /** Measured successful replies (closed loop: received in the window; open loop: sent in it). */
  ok = 0;
  readonly lat = new LatencyRecorder();
  readonly lag = new LatencyRecorder();
  measureStart = Number.POSITIVE_INFINITY;
  measureEnd = Number.POSITIVE_INFINITY;
  private drained: (() => void) | null = null;

  constructor(readonly job: TcpJob) {
    this.http = job.protocol === "http1";
    this.tape = loadTape(job.tapePath, this.http);
  }

  fail(reason: string): void {
    this.errors++;
    this.firstError ??= reason;
  }

  wantsPayload(op: number): boolean {
    return (this.wantSample && op === this.job.expectOp) || (this.wantError && op !== this.job.expectOp);
  }

  captured(s: SampleFrame): void {
    if (s.op === this.job.expectOp) {
      this.sample = s;
      this.wantSample = false;
    } else {
      this.wantError = false;
      this.firstError ??= `reply op 0x${s.op.toString(16)} (expected 0x${this.job.expectOp.toString(16)}): ${JSON.stringify(s.body).slice(0, 300)}`;
    }
  }

  reply(op: number, t0: number, now: number): void {
    if (op !== this.job.expectOp) {
      this.errors++;
      this.firstError ??= `reply op 0x${op.toString(16)}`;
      return;
    }
    // Closed loop counts replies received in the window; open loop, replies to requests scheduled in it.
    const stamp = this.job.kind === "closed" ? now : t0;
    if (stamp >= this.measureStart && stamp < this.measureEnd) {
      this.ok++;
      this.lat.record((now - t0) * 1000);
    }
  }

  /** Open loop: called after each batch of replies, to send what has fallen due meanwhile. */
  onReplies: (() => void) | null = null;

  afterReplies(c: Conn): void {
    this.onReplies?.();
    if (this.job.kind === "closed" && !this.stopping) {
      const k = this.job.depth - c.inflight;
      if (k > 0) c.send(k, performance.now());
    }
    if (this.drained !== null && this.conns.every((x) => x.inflight === 0)) this.drained();
  }

  /** Resolves when every connection has no frame in flight (or after `timeoutMs`). */
  drain(timeoutMs: number): Promise<boolean> {
    if (this.conns.every((x) => x.inflight === 0)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.drained = null;
        resolve(false);
      }, timeoutMs);
      this.drained = () => {
        clearTimeout(timer);
        this.drained = null;
        resolve(true);
      };
    });
  }
}

async function run(job: TcpJob): Promise<TcpLoadResult> {
  const gen = new Generator(job);
  const ring = job.kind === "closed" ? job.depth : 1024;
  // Connections start at evenly spread tape positions so they do not all send the same keys.
  for (let i = 0; i < job.connections; i++) {
    gen.conns.push(new Conn(gen, job.host, job.port, Math.floor((i * gen.tape.frames) / job.connections), ring));
  }
  await Promise.all(
    gen.conns.map(
      (c) =>
        new Promise<void>((resolve, reject) => {
          c.socket.once("connect", resolve);
          c.socket.once("error", reject);
        }),
    ),
  );
  const t0 = performance.now();
  gen.measureStart = t0 + job.warmupMs;
  gen.measureEnd = gen.measureStart + job.durationMs;
  let cpu0: { client: NodeJS.CpuUsage; pids: (number | null)[]; at: number } | undefined;
  let cpu1: { client: NodeJS.CpuUsage; pids: (number | null)[]; at: number } | undefined;
  const snap = () => ({ client: process.cpuUsage(), pids: job.observePids.map(processCpuMs), at: performance.now() });
  const windowDone = new Promise<void>((resolve) => {
    setTimeout(() => {
      cpu0 = snap();
      setTimeout(() => {
        cpu1 = snap();
        resolve();
      }, Math.max(0, gen.measureEnd - performance.now()));
    }, job.warmupMs);
  });

  let dueInWindow = 0;
  let measuredUnanswered = 0;
  let tailUnanswered = 0;
  let drained = true;
  if (job.kind === "closed") {
    for (const c of gen.conns) c.send(job.depth, performance.now());
    await windowDone;
    gen.stopping = true;
    drained = await gen.drain(5_000);
  } else {
    // Open loop: request n is due at t0 + n × period on connection n mod C, whatever the replies do;
    // latency runs from that due time, so a stalled server cannot hide queueing (coordinated omission).
    // Due requests are sent from a timer and also whenever replies arrive (the loop is awake then
    // anyway). The schedule keeps running after the window until every request due in it has been
    // answered (at most drainTimeoutMs), so the last measured requests see the same load as the
    // first and a server that only moves when the client sends more is not starved at the end.
    //
    // Frames are pipelined: each due frame goes out at once on its connection. HTTP/1.1 is not
    // pipelined: due requests wait in one FIFO (as in node's Agent) until a connection is free, and
    // that wait is part of their latency.
    const period = 1000 / job.ratePerS;
    const C = job.connections;
    const due = new Int32Array(C);
    const giveUp = gen.measureEnd + job.drainTimeoutMs;
    const waiting = new DueQueue();
    const measuredOutstanding = (): boolean =>
      waiting.peek() < gen.measureEnd || gen.conns.some((c) => c.oldestDue() < gen.measureEnd);
    const dispatchWaiting = (): void => {
      for (let ci = 0; ci < C && waiting.size > 0; ci++) {
        const c = gen.conns[ci] as Conn;
        if (c.inflight === 0) c.send(1, waiting.shift());
      }
    };
    let n = 0;
    await new Promise<void>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      let finished = false;
      const pump = (): void => {
        if (finished) return;
        const now = performance.now();
        let first = -1;
        for (;;) {
          const t = t0 + n * period;
          if (t > now) break;
          if (first < 0) first = n;
          if (t >= gen.measureStart && t < gen.measureEnd) dueInWindow++;
          due[n % C]++;
          n++;
        }
        if (first >= 0 && gen.http) {
          for (let r = first; r < n; r++) {
            const tr = t0 + r * period;
            waiting.push(tr);
            if (tr >= gen.measureStart && tr < gen.measureEnd) gen.lag.record((now - tr) * 1000);
          }
          due.fill(0);
        }
        if (gen.http) dispatchWaiting();
        else if (first >= 0) {
          for (let ci = 0; ci < C; ci++) {
            const k = due[ci] as number;
            if (k === 0) continue;
            // The j-th frame sent on connection ci now is request first + offset + j·C.
            const base = first + ((((ci - first) % C) + C) % C);
            gen.conns[ci]!.send(k, (j) => t0 + (base + j * C) * period);
            for (let j = 0; j < k; j++) {
              const tj = t0 + (base + j * C) * period;
              if (tj >= gen.measureStart && tj < gen.measureEnd) gen.lag.record((now - tj) * 1000);
            }
            due[ci] = 0;
          }
        }
        if (now >= gen.measureEnd && (now >= giveUp || !measuredOutstanding())) {
          finished = true;
          gen.onReplies = null;
          clearTimeout(timer);
          resolve();
        }
      };
      const onTimer = (): void => {
        pump();
        if (finished) return;
        const wait = t0 + n * period - performance.now();
        // Node timers have 1 ms granularity: with `spin`, the last stretch before a due time is
        // spent yielding to I/O with setImmediate, so frames leave within microseconds of their due
        // time (at the price of a busy generator core); without it they may leave up to ~1 ms late.
        if (job.spin && wait < 1.5) setImmediate(onTimer);
        else timer = setTimeout(onTimer, Math.max(0, job.spin ? wait - 1 : wait));
      };
      gen.onReplies = pump;
      onTimer();
    });
    await windowDone;
    measuredUnanswered += waiting.countBefore(gen.measureEnd);
    for (const c of gen.conns) measuredUnanswered += c.countDueBefore(gen.measureEnd);
    gen.stopping = true;
    drained = await gen.drain(2_000);
    for (const c of gen.conns) tailUnanswered += c.inflight - c.countDueBefore(gen.measureEnd);
  }
  let unanswered = 0;
  for (const c of gen.conns) {
    unanswered += c.inflight;
    // A connection with requests still owed is reset, so the server drops its backlog (an overloaded
    // open-loop run can leave many thousands queued) instead of working through it into the next case.
    if (c.inflight > 0) c.socket.resetAndDestroy();
    else c.socket.end();
  }
  if (cpu0 === undefined || cpu1 === undefined) throw new Error("measurement window never opened");
  const a = cpu0;
  const b = cpu1;
  const elapsedMs = b.at - a.at;
  const cpuDelta = b.client.user + b.client.system - a.client.user - a.client.system;
  const ok = gen.ok;
  return {
    kind: job.kind,
    frames: ok,
    errors: gen.errors + (job.kind === "closed" ? (drained ? 0 : unanswered) : measuredUnanswered),
    firstError:
      gen.firstError ??
      (job.kind === "closed"
        ? drained ? null : `${unanswered} frames unanswered 5 s after the window`
        : measuredUnanswered > 0 ? `${measuredUnanswered} requests due in the window unanswered ${job.drainTimeoutMs} ms after it` : null),
    elapsedS: elapsedMs / 1000,
    // Closed loop: replies received per second of window; open loop: the offered rate achieved.
    fps: job.kind === "closed" ? ok / (elapsedMs / 1000) : dueInWindow / (job.durationMs / 1000),
    latency: gen.lat.summary(),
    sendLag: job.kind === "open" ? gen.lag.summary() : null,
    scheduled: job.kind === "open" ? dueInWindow : null,
    tailUnanswered: job.kind === "open" ? tailUnanswered : null,
    clientCpuPct: (cpuDelta / 1000 / elapsedMs) * 100,
    observed: job.observePids.map((pid, i) => {
      const before = a.pids[i];
      const after = b.pids[i];
      if (before === null || before === undefined || after === null || after === undefined) return { pid, cpuPct: null, cpuUsPerRequest: null };
      // Per frame over the window's replies (closed loop) or the offered rate (open loop).
      const framesInWindow = job.kind === "closed" ? ok : (job.ratePerS * elapsedMs) / 1000;
      return { pid, cpuPct: ((after - before) / elapsedMs) * 100, cpuUsPerRequest: ((after - before) * 1000) / framesInWindow };
    }),
    tapeFrames: gen.tape.frames,
    sample: gen.sample,
  };
}

serveJobs(run);
