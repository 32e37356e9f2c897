/**
 * Timestamps on Tecton's wire: RFC 3339 in UTC with `Z` (tecton-behaviour.md §2.4, §2.6). Clients
 * have had parsing bugs with other shapes, so output is always `YYYY-MM-DDTHH:MM:SS[.mmm]Z`, with
 * milliseconds only when they are not zero (what protobuf JSON writes for a Timestamp too).
 */

/** Epoch milliseconds → RFC 3339 UTC; undefined outside the range RFC 3339 years can express. */
export function formatTimestamp(ms: number): string | undefined {
  if (!Number.isFinite(ms) || ms < MIN_MS || ms > MAX_MS) return undefined;
  const iso = new Date(Math.floor(ms)).toISOString();
  return iso.endsWith(".000Z") ? `${iso.slice(0, -5)}Z` : iso;
}

// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z, the range of google.protobuf.Timestamp.
const MIN_MS = -62_135_596_800_000;
const MAX_MS = 253_402_300_799_999;

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?$/;

/**
 * RFC 3339 (any offset, any fraction) → epoch milliseconds; undefined when the text is not such a
 * timestamp. The SDK sends Python's `datetime.isoformat()`, which omits the offset of a naive time
 * and may use a space: no offset means UTC, Tecton's serving zone. Sub-millisecond digits are
 * truncated: engine timestamps are milliseconds.
 */
export function parseTimestamp(text: string): number | undefined {
  const m = RFC3339.exec(text);
  if (m === null) return undefined;
  const [, y, mo, d, h, mi, s, frac, zone] = m as unknown as (string | undefined)[];
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined;
  if (Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) return undefined;
  let ms = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s));
  // Date.UTC maps years 0-99 to 1900-1999.
  if (year < 100) ms = new Date(ms).setUTCFullYear(year);
  if (frac !== undefined) ms += Math.floor(Number(`0${frac}`) * 1000);
  if (zone !== undefined && zone !== "Z" && zone !== "z") {
    const sign = zone.startsWith("-") ? -1 : 1;
    ms -= sign * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4, 6))) * 60_000;
  }
  return ms;
}

function daysIn(year: number, month: number): number {
  return new Date(Date.UTC(2000, month, 0)).getUTCDate() - (month === 2 && !isLeap(year) ? 1 : 0);
}

function isLeap(y: number): boolean {
  return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
}
