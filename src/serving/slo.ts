import type { RowResult } from "./request-reader.ts";

/**
 * Tecton's sloInfo (tecton-behaviour.md §2.7, §3), measured. Tessera has no online store size or
 * latency limit, so every request is SLO-eligible and no store response sizes are reported.
 */
export interface SloTimes {
  readonly serverMs: number;
  /** Server time minus realtime evaluation. */
  readonly sloServerMs: number;
  /** The slowest single table read. */
  readonly storeMaxMs: number;
}

/** Seconds, as Tecton reports them, to the microsecond. */
export function seconds(ms: number): number {
  return Math.round(ms * 1e6) / 1e9;
}

export function rowSlo(r: RowResult): SloTimes {
  return { serverMs: r.serverMs, sloServerMs: r.serverMs - r.realtimeMs, storeMaxMs: r.storeMaxMs };
}

/** Batch SLO (the fixtures of tecton-behaviour.md §3): the slowest row's SLO time and store latency, the whole batch's server time. */
export function batchSlo(rows: readonly SloTimes[], batchServerMs: number): SloTimes {
  let sloServerMs = 0;
  let storeMaxMs = 0;
  for (const r of rows) {
    if (r.sloServerMs > sloServerMs) sloServerMs = r.sloServerMs;
    if (r.storeMaxMs > storeMaxMs) storeMaxMs = r.storeMaxMs;
  }
  return { serverMs: batchServerMs, sloServerMs, storeMaxMs };
}
