import { TesseraError } from "../../errors/tessera-error.ts";

/**
 * Window / duration grammar (beava §2.1, `parse_duration_to_ms`): `^[0-9]+(ms|s|m|h|d)$` with n > 0,
 * or the literal `"forever"` (lifetime). `0s`, `1.5h`, `1H`, `10`, `""`, `-1m` are invalid; leading
 * zeros are fine (`"05m"`). The result must be a safe integer (overflow -> invalid).
 * Throws TesseraError("aggregation_invalid_window") on anything else (including non-strings).
 */
const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const DURATION_RE = /^([0-9]+)(ms|s|m|h|d)$/;

export function parseDuration(s: unknown, errorCode: "aggregation_invalid_window" = "aggregation_invalid_window"): number | "forever" {
  if (s === "forever") return "forever";
  if (typeof s !== "string") {
    throw new TesseraError(errorCode, `invalid duration: expected a string like "10m" or "forever"`, {
      reason: `invalid duration ${JSON.stringify(s) ?? String(s)}`,
    });
  }
  const m = DURATION_RE.exec(s);
  if (m !== null) {
    const n = Number(m[1]);
    const ms = n * UNIT_MS[m[2]!]!;
    if (n > 0 && Number.isSafeInteger(ms)) return ms;
  }
  throw new TesseraError(errorCode, `invalid duration ${JSON.stringify(s)}: expected <n>(ms|s|m|h|d) with n > 0, or "forever"`, {
    reason: `invalid duration ${JSON.stringify(s)}`,
  });
}

/** True when `s` is a valid duration string (or "forever"). Never throws. */
export function isValidDuration(s: unknown): boolean {
  try {
    parseDuration(s);
    return true;
  } catch {
    return false;
  }
}
