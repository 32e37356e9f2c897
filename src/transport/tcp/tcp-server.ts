import { createServer, type AddressInfo, type Server, type Socket } from "node:net";
import { Gauge } from "prom-client";
import type { ListenAddress } from "../../config.ts";
import type { Caller } from "../../auth/caller.ts";
import type { Logger } from "../../logger.ts";
import type { DataPlane } from "../../service/data-plane.ts";
import type { ServerMetrics } from "../metrics.ts";
import { FrameWriter } from "./frame-codec.ts";
import { TcpConnection, type TcpConnectionLimits } from "./tcp-connection.ts";

export interface TcpServerOptions extends Partial<TcpConnectionLimits> {
  readonly plane: DataPlane;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
  /** Auth required: OP_AUTH's key to a Caller (see TcpConnectionContext). Absent: auth off. */
  readonly authenticate?: (apiKey: unknown) => Caller;
}

export const DEFAULT_TCP_LIMITS: TcpConnectionLimits = {
  // beava's max_frame_bytes: a declared length above 4 MiB + 3 is refused.
  maxPayloadBytes: 4 * 1024 * 1024,
  // Replies are only held when the kernel's send buffer (itself up to a few MiB) is full, so more
  // than this would add latency without adding throughput.
  replyHighWaterMark: 256 * 1024,
  // A pipeline of durable pushes waits for one group commit; this is deeper than any sane pipeline.
  maxQueuedReplies: 4096,
};

/**
 * The framed TCP listener (DESIGN §5, beava-behaviour.md §6), default 127.0.0.1:8081. Connections
 * are independent: a broken stream or socket error closes that connection only.
 */
export class TcpServer {
  private readonly server: Server;
  private readonly connections = new Set<TcpConnection>();

  constructor(options: TcpServerOptions) {
    const { plane, metrics, logger } = options;
    const limits: TcpConnectionLimits = {
      maxPayloadBytes: options.maxPayloadBytes ?? DEFAULT_TCP_LIMITS.maxPayloadBytes,
      replyHighWaterMark: options.replyHighWaterMark ?? DEFAULT_TCP_LIMITS.replyHighWaterMark,
      maxQueuedReplies: options.maxQueuedReplies ?? DEFAULT_TCP_LIMITS.maxQueuedReplies,
    };
    const context = { plane, metrics, logger, writer: new FrameWriter(), limits, ...(options.authenticate === undefined ? {} : { authenticate: options.authenticate }) };
    // Half-open: a client may send its frames and shut its side; it still gets every reply.
    this.server = createServer({ noDelay: true, allowHalfOpen: true }, (socket: Socket) => {
      const connection = new TcpConnection(socket, context);
      this.connections.add(connection);
      socket.once("close", () => this.connections.delete(connection));
    });
    // Accept errors (EMFILE and the like) are reported on the server; without a listener they would
    // end the process.
    this.server.on("error", (e) => logger.error({ err: e }, "tcp listener error"));
    this.registerGauges(metrics);
  }

  async listen(address: ListenAddress): Promise<ListenAddress> {
    await new Promise<void>((resolve, reject) => {
      this.server.once("error", reject);
      this.server.listen(address.port, address.host, () => {
        this.server.off("error", reject);
        resolve();
      });
    });
    return { host: address.host, port: (this.server.address() as AddressInfo).port };
  }

  /**
   * Stops accepting, lets every connection finish the replies it owes (frames not yet dispatched are
   * dropped unanswered, so they were never applied), and destroys what is left after `drainMs`.
   */
  async close(drainMs: number): Promise<void> {
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    for (const connection of this.connections) connection.drain();
    const deadline = setTimeout(() => {
      for (const connection of this.connections) connection.destroy();
    }, drainMs);
    try {
      // net.Server's close callback runs once every accepted connection has closed.
      await closed;
    } finally {
      clearTimeout(deadline);
    }
  }

  private registerGauges(metrics: ServerMetrics): void {
    const connections = this.connections;
    new Gauge({
      name: "tessera_tcp_connections",
      help: "Open framed TCP connections",
      registers: [metrics.registry],
      collect() {
        this.set(connections.size);
      },
    });
    new Gauge({
      name: "tessera_tcp_paused_connections",
      help: "Framed TCP connections whose reading is paused because the client is not taking its replies",
      registers: [metrics.registry],
      collect() {
        let n = 0;
        for (const c of connections) if (c.isPaused) n++;
        this.set(n);
      },
    });
    new Gauge({
      name: "tessera_tcp_held_reply_bytes",
      help: "Reply bytes the server holds for framed TCP clients (not yet taken by the kernel, or queued behind an unfinished reply)",
      registers: [metrics.registry],
      collect() {
        let n = 0;
        for (const c of connections) n += c.heldReplyBytes;
        this.set(n);
      },
    });
  }
}
