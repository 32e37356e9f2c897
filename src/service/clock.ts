import { TesseraError } from "../errors/tessera-error.ts";

/**
 * The engine clock (DESIGN §4 "Time"): processing time in epoch milliseconds. Outside test mode it is
 * the wall clock; in test mode POST /test/clock can pin it, move it, or hand it back to the wall.
 */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests control: pinned at a time (and advanced by hand) or following the wall clock. */
export class TestClock implements Clock {
  private pinned: number | undefined;

  now(): number {
    return this.pinned ?? Date.now();
  }

  /**
   * Applies a /test/clock body: `{"now_ms":N}` pins the clock at N, `{"advance_ms":N}` moves it by N
   * (pinning it first if it followed the wall), `{"wall":true}` follows the wall clock again.
   * Exactly one of the three must be given. Returns the resulting time.
   */
  control(body: unknown): number {
    const b = body !== null && typeof body === "object" && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
    const given = b === undefined ? [] : (["now_ms", "advance_ms", "wall"] as const).filter((k) => b[k] !== undefined && b[k] !== null);
    if (b === undefined || given.length !== 1) {
      throw new TesseraError("invalid_argument", 'POST /test/clock expects exactly one of {"now_ms":N}, {"advance_ms":N} or {"wall":true}');
    }
    const k = given[0]!;
    const v = b[k];
    if (k === "wall") {
      if (v !== true) throw new TesseraError("invalid_argument", '"wall" must be true');
      this.pinned = undefined;
    } else {
      if (typeof v !== "number" || !Number.isSafeInteger(v)) throw new TesseraError("invalid_argument", `"${k}" must be an integer number of milliseconds`);
      const next = k === "now_ms" ? v : this.now() + v;
      if (next < 0) throw new TesseraError("invalid_argument", "the clock cannot go before the epoch");
      this.pinned = next;
    }
    return this.now();
  }
}
