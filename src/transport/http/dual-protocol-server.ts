import * as http from "node:http";
import * as http2 from "node:http2";
import * as net from "node:net";
import type { ListenAddress } from "../../config.ts";

export type HttpRequest = http.IncomingMessage | http2.Http2ServerRequest;
export type HttpResponse = http.ServerResponse | http2.Http2ServerResponse;
export type RequestHandler = (req: HttpRequest, res: HttpResponse) => void;

/** Limits that keep a slow or huge client from exhausting the server. */
export interface HttpLimits {
  /** Time to receive the first bytes and the complete request headers. Default 10 000 ms. */
  readonly headersTimeoutMs: number;
  /** Time to receive a complete HTTP/1.1 request (headers and body). Default 60 000 ms. */
  readonly requestTimeoutMs: number;
  /** Idle keep-alive time of an HTTP/1.1 connection or an HTTP/2 session. Default 65 000 ms. */
  readonly idleTimeoutMs: number;
  /** Largest header section accepted. Default 16 KiB. */
  readonly maxHeaderBytes: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS. Default 256. */
  readonly maxConcurrentStreams: number;
  /** Per-session HTTP/2 memory cap (MB) before new streams are refused. Default 32. */
  readonly maxSessionMemoryMb: number;
}

export const DEFAULT_HTTP_LIMITS: HttpLimits = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 60_000,
  idleTimeoutMs: 65_000,
  maxHeaderBytes: 16 * 1024,
  maxConcurrentStreams: 256,
  maxSessionMemoryMb: 32,
};

// Every HTTP/2 prior-knowledge connection starts with this preface; no HTTP/1.x method starts with "PRI".
const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");
const SNIFF_BYTES = 3;

/**
 * HTTP/1.1 and h2c (prior knowledge) on one port. Node's plaintext http2 `allowHTTP1` does not work, so
 * a plain net.Server reads the first bytes of each connection and hands the socket to an HTTP/1.1 or an
 * HTTP/2 server accordingly (neither of which listens itself).
 */
export class DualProtocolServer {
  private readonly net: net.Server;
  private readonly h1: http.Server;
  private readonly h2: http2.Http2Server;
  private readonly sockets = new Set<net.Socket>();
  private readonly sessions = new Set<http2.ServerHttp2Session>();
  /**
   * In-flight requests of every HTTP/1.1 socket (node's own idle tracking only exists for listening
   * servers). A socket is in this map from hand-off to close.
   */
  private readonly h1InFlight = new Map<net.Socket, number>();
  private readonly limits: HttpLimits;
  private draining = false;

  constructor(handler: RequestHandler, limits: HttpLimits = DEFAULT_HTTP_LIMITS) {
    this.limits = limits;
    const wrapped: RequestHandler = (req, res) => {
      // A request that arrives on a kept-alive HTTP/1.1 connection while draining is still served, but
      // the connection is closed after it so the drain converges.
      if (req.httpVersionMajor === 1) this.trackH1(req.socket, res);
      handler(req, res);
    };
    this.h1 = http.createServer(
      {
        maxHeaderSize: limits.maxHeaderBytes,
        headersTimeout: limits.headersTimeoutMs,
        requestTimeout: limits.requestTimeoutMs,
        keepAliveTimeout: limits.idleTimeoutMs,
        noDelay: true,
      },
      wrapped,
    );
    this.h2 = http2.createServer(
      {
        settings: { maxConcurrentStreams: limits.maxConcurrentStreams, maxHeaderListSize: limits.maxHeaderBytes },
        maxSessionMemory: limits.maxSessionMemoryMb,
        maxHeaderListPairs: 256,
      },
      wrapped,
    );
    this.h2.on("session", (session) => {
      this.sessions.add(session);
      session.setTimeout(limits.idleTimeoutMs, () => session.close());
      session.once("close", () => this.sessions.delete(session));
      if (this.draining) session.close();
    });
    this.net = net.createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  private accept(socket: net.Socket): void {
    this.sockets.add(socket);
    socket.once("close", () => {
      this.sockets.delete(socket);
      this.h1InFlight.delete(socket);
    });
    socket.on("error", () => socket.destroy());
    // A client that connects and sends nothing must not hold the socket forever.
    socket.setTimeout(this.limits.headersTimeoutMs, () => socket.destroy());
    let head: Buffer = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      head = head.length === 0 ? chunk : Buffer.concat([head, chunk]);
      if (head.length < SNIFF_BYTES && H2_PREFACE.subarray(0, head.length).equals(head)) return;
      socket.off("data", onData);
      socket.pause();
      socket.setTimeout(0);
      socket.unshift(head);
      const isH2 = head.length >= SNIFF_BYTES && H2_PREFACE.subarray(0, SNIFF_BYTES).equals(head.subarray(0, SNIFF_BYTES));
      if (isH2) {
        // The HTTP/2 session consumes the socket's handle natively and drains the unshifted bytes
        // itself; resuming the JS stream here would steal frames from it.
        this.h2.emit("connection", socket);
      } else {
        this.h1InFlight.set(socket, 0);
        this.h1.emit("connection", socket);
        socket.resume();
      }
    };
    socket.on("data", onData);
  }

  private trackH1(socket: net.Socket, res: HttpResponse): void {
    this.h1InFlight.set(socket, (this.h1InFlight.get(socket) ?? 0) + 1);
    if (this.draining) (res as http.ServerResponse).setHeader("connection", "close");
    res.once("close", () => {
      const current = this.h1InFlight.get(socket);
      // The socket may have closed first; re-adding it would leak it.
      if (current === undefined) return;
      const left = current - 1;
      this.h1InFlight.set(socket, left);
      if (left === 0 && this.draining) socket.destroySoon();
    });
  }

  async listen(address: ListenAddress): Promise<ListenAddress> {
    await new Promise<void>((resolve, reject) => {
      this.net.once("error", reject);
      this.net.listen(address.port, address.host, () => {
        this.net.off("error", reject);
        resolve();
      });
    });
    const info = this.net.address() as net.AddressInfo;
    return { host: address.host, port: info.port };
  }

  /**
   * Stops accepting connections, lets in-flight requests finish (HTTP/1.1 connections close after
   * their current response, HTTP/2 sessions get GOAWAY) and destroys whatever is left after `graceMs`.
   */
  async close(graceMs: number): Promise<void> {
    this.draining = true;
    const listening = new Promise<void>((resolve) => this.net.close(() => resolve()));
    for (const session of this.sessions) session.close();
    // Idle HTTP/1.1 keep-alive connections close now; busy ones after their current response.
    for (const [socket, inFlight] of this.h1InFlight) if (inFlight === 0) socket.destroySoon();
    const deadline = setTimeout(() => {
      for (const s of this.sockets) s.destroy();
      for (const session of this.sessions) session.destroy();
    }, graceMs);
    try {
      // net.Server's close callback runs once every accepted connection has ended.
      await listening;
    } finally {
      clearTimeout(deadline);
    }
  }
}
