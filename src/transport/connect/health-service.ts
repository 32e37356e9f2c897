import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import {
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
  type HealthCheckRequest,
} from "../../../gen/grpc/health/v1/health_pb.ts";

export { ServingStatus };

/**
 * Serving status of the server ("" = overall) and of each service, with change notification so Watch
 * streams see NOT_SERVING when the server starts draining.
 */
export class HealthState {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly listeners = new Set<() => void>();

  constructor(services: readonly string[]) {
    this.statuses.set("", ServingStatus.NOT_SERVING);
    for (const s of services) this.statuses.set(s, ServingStatus.NOT_SERVING);
  }

  get(service: string): ServingStatus | undefined {
    return this.statuses.get(service);
  }

  /** Sets every known service (and the overall status) at once. */
  setAll(status: ServingStatus): void {
    for (const k of this.statuses.keys()) this.statuses.set(k, status);
    for (const l of this.listeners) l();
  }

  /** Resolves at the next status change or when `signal` aborts. */
  nextChange(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        this.listeners.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.listeners.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

export function healthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req: HealthCheckRequest) {
      const status = state.get(req.service);
      if (status === undefined) throw new ConnectError(`unknown service ${req.service}`, Code.NotFound);
      return create(HealthCheckResponseSchema, { status });
    },
    async *watch(req: HealthCheckRequest, ctx: HandlerContext) {
      // Per the health protocol, an unknown service is reported as SERVICE_UNKNOWN, not an error.
      let last: ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const status = state.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
        if (status !== last) {
          last = status;
          yield create(HealthCheckResponseSchema, { status });
        }
        await state.nextChange(ctx.signal);
      }
    },
  };
}
