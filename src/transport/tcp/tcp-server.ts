import { createServer, type Server } from "node:net";
import type { ListenAddress } from "../../config.ts";
import type { Logger } from "../../logger.ts";
import type { DataPlane } from "../../service/data-plane.ts";
import type { ServerMetrics } from "../metrics.ts";

export interface TcpServerOptions {
  readonly plane: DataPlane;
  readonly metrics: ServerMetrics;
  readonly logger: Logger;
}

/** SKELETON (being written): the framed TCP listener. */
export class TcpServer {
  private readonly server: Server = createServer((s) => s.destroy());
  constructor(_options: TcpServerOptions) {}
  listen(address: ListenAddress): Promise<ListenAddress> {
    return new Promise((resolve) => this.server.listen(address.port, address.host, () => {
      const a = this.server.address() as { port: number };
      resolve({ host: address.host, port: a.port });
    }));
  }
  close(_drainMs: number): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
