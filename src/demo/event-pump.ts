import { setTimeout as sleep } from "node:timers/promises";
import type { DataPlaneClient, JsonObject } from "../client/index.ts";

/**
 * Pushes a stream of events through a data-plane client with many pushes in flight at once. Over
 * TCP that is pipelining: every push issued in one tick goes out in one write, and the replies come
 * back in order, so throughput is bound by the server rather than by round trips.
 */

export interface EventPumpOptions {
  readonly client: DataPlaneClient;
  /** Events per second at most; undefined pushes as fast as the server acknowledges. Default undefined. */
  readonly rate?: number;
  /** Stops issuing pushes; those already in flight are still awaited. */
  readonly signal?: AbortSignal;
}

export interface PumpResult {
  /** Events the server acknowledged. */
  readonly acknowledged: number;
  readonly elapsedMs: number;
  /** True when the signal stopped the pump before the source ran out. */
  readonly aborted: boolean;
}

/**
 * Pushes awaiting their acknowledgement at most. Once reached, the pump waits until half are
 * acknowledged, so requests leave in large batches and memory stays bounded.
 */
const MAX_IN_FLIGHT = 4096;

export class EventPump {
  private readonly options: EventPumpOptions;
  private acked = 0;

  constructor(options: EventPumpOptions) {
    if (options.rate !== undefined && !(options.rate > 0)) throw new RangeError(`rate must be positive, got ${options.rate}`);
    this.options = options;
  }

  /** Events acknowledged so far (progress displays read it while `run` is going). */
  get acknowledged(): number {
    return this.acked;
  }

  /**
   * Pushes every event `next` yields until it yields undefined or the signal fires. The first push
   * the server rejects stops the pump: once the pushes in flight are settled, `run` throws its error.
   */
  async run(next: () => { readonly event: string; readonly data: JsonObject } | undefined): Promise<PumpResult> {
    const { client, rate, signal } = this.options;
    const start = performance.now();
    let issued = 0;
    let inFlight = 0;
    let failure: { readonly error: unknown } | undefined;
    let wakeAt = 0;
    let wake: (() => void) | undefined;
    const settled = (): void => {
      inFlight--;
      if (wake !== undefined && inFlight <= wakeAt) {
        const w = wake;
        wake = undefined;
        w();
      }
    };
    const acked = (): void => {
      this.acked++;
      settled();
    };
    const failed = (error: unknown): void => {
      failure ??= { error };
      settled();
    };
    const settle = (atMost: number): Promise<void> => {
      wakeAt = atMost;
      return new Promise<void>((resolve) => (wake = resolve));
    };

    let exhausted = false;
    while (failure === undefined && signal?.aborted !== true) {
      if (inFlight >= MAX_IN_FLIGHT) {
        await settle(MAX_IN_FLIGHT / 2);
        continue;
      }
      if (rate !== undefined) {
        const early = start + (issued / rate) * 1000 - performance.now();
        if (early > 0) {
          // An abort ends the wait early; the loop condition then stops the pump.
          await sleep(early, undefined, { signal }).catch(() => undefined);
          continue;
        }
      }
      const e = next();
      if (e === undefined) {
        exhausted = true;
        break;
      }
      inFlight++;
      issued++;
      client.push(e.event, e.data).then(acked, failed);
    }
    if (inFlight > 0) await settle(0);
    if (failure !== undefined) throw failure.error;
    return { acknowledged: this.acked, elapsedMs: performance.now() - start, aborted: !exhausted };
  }
}
