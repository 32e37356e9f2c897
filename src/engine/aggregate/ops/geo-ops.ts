import type { OperatorDef, ParamContext, RawParams } from "../operator.ts";
import { numericField } from "../operator.ts";
import { isNumericType, T } from "../../types.ts";
import type { Row } from "../../types.ts";
import { aliasedField, countParam, fail, finite } from "./lifetime-support.ts";

/**
 * Geo operators (beava §2.3): geo_velocity, geo_distance, geo_spread, distance_from_home. Points
 * come from two numeric fields, `lat_field`|`lat` and `lon_field`|`lon` (defaults "lat"/"lon").
 * A point with a missing, non-numeric or out-of-range coordinate (|lat| > 90, |lon| > 180) is
 * skipped: one bad GPS fix would otherwise read as a jump across the planet.
 */

/** Mean Earth radius in km (as beava's haversine). */
export const EARTH_RADIUS_KM = 6371;
const RAD = Math.PI / 180;
/** Kilometres per degree of latitude on that sphere. */
const KM_PER_DEG = EARTH_RADIUS_KM * RAD;
const HOUR_MS = 3_600_000;

/** Great-circle distance in km. */
export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const sLat = Math.sin(((lat2 - lat1) * RAD) / 2);
  const sLon = Math.sin(((lon2 - lon1) * RAD) / 2);
  const a = sLat * sLat + Math.cos(lat1 * RAD) * Math.cos(lat2 * RAD) * sLon * sLon;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(a)));
}

interface GeoParams {
  readonly lat: string;
  readonly lon: string;
}

function coordinateField(params: RawParams, ctx: ParamContext, op: string, names: readonly [string, string]): string {
  const ref = aliasedField(params, ctx, op, names);
  if (!isNumericType(ref.type) && ref.type.kind !== "json") {
    fail("aggregation_unknown_field", ctx, op, `coordinate field ${JSON.stringify(ref.field)} must be numeric, got ${ref.type.kind}`);
  }
  return ref.field;
}

function parseGeo(params: RawParams, ctx: ParamContext, op: string): GeoParams {
  return {
    lat: coordinateField(params, ctx, op, ["lat_field", "lat"]),
    lon: coordinateField(params, ctx, op, ["lon_field", "lon"]),
  };
}

const GEO_PARAMS = ["lat_field", "lat", "lon_field", "lon"] as const;

/** Reads a point into `out`; false when the row has no valid one. */
function readPoint(row: Row, p: GeoParams, out: [number, number]): boolean {
  const lat = numericField(row, p.lat);
  const lon = numericField(row, p.lon);
  if (lat === undefined || lon === undefined || !(Math.abs(lat) <= 90) || !(Math.abs(lon) <= 180)) return false;
  out[0] = lat;
  out[1] = lon;
  return true;
}

// Scratch for readPoint, so an update allocates nothing (the engine is single-threaded).
const pt: [number, number] = [0, 0];

function geoDef<S>(
  op: string,
  create: () => S,
  update: (s: S, lat: number, lon: number, now: number) => void,
  read: (s: S) => number | null,
): OperatorDef<GeoParams, S> {
  return {
    op,
    windowSupport: "lifetime",
    params: GEO_PARAMS,
    parse: (params, ctx) => parseGeo(params, ctx, op),
    outputType: () => T.f64,
    fields: (p) => [p.lat, p.lon],
    create,
    update(s, p, row, _matched, now) {
      if (readPoint(row, p, pt)) update(s, pt[0], pt[1], now);
      return s;
    },
    read: (s) => finite(read(s)),
  };
}

interface VelocityState {
  lat: number;
  lon: number;
  /** Time of the previous point; null before the first. */
  t: number | null;
  max: number;
}

/** Highest km/h between consecutive points (pairs without elapsed time are skipped). */
export const geoVelocityOp = geoDef<VelocityState>(
  "geo_velocity",
  () => ({ lat: 0, lon: 0, t: null, max: 0 }),
  (s, lat, lon, now) => {
    if (s.t !== null && now > s.t) {
      const kmh = haversineKm(s.lat, s.lon, lat, lon) / ((now - s.t) / HOUR_MS);
      if (kmh > s.max) s.max = kmh;
    }
    s.lat = lat;
    s.lon = lon;
    s.t = now;
  },
  (s) => (s.t === null ? null : s.max),
);

interface PathState {
  lat: number;
  lon: number;
  n: number;
  km: number;
}

/** Cumulative path length in km; 0.0 before two points. */
export const geoDistanceOp = geoDef<PathState>(
  "geo_distance",
  () => ({ lat: 0, lon: 0, n: 0, km: 0 }),
  (s, lat, lon) => {
    if (s.n > 0) s.km += haversineKm(s.lat, s.lon, lat, lon);
    s.lat = lat;
    s.lon = lon;
    s.n++;
  },
  (s) => s.km,
);

interface SpreadState {
  n: number;
  /** Welford means and sums of squared deviations of latitude and longitude (degrees). */
  mLat: number;
  mLon: number;
  sLat: number;
  sLon: number;
}

/**
 * Population RMS distance of the points from their centroid, in km, on an equirectangular
 * projection at the mean latitude (adequate at city-to-country scale, wrong across the antimeridian).
 */
export const geoSpreadOp = geoDef<SpreadState>(
  "geo_spread",
  () => ({ n: 0, mLat: 0, mLon: 0, sLat: 0, sLon: 0 }),
  (s, lat, lon) => {
    s.n++;
    const dLat = lat - s.mLat;
    const dLon = lon - s.mLon;
    s.mLat += dLat / s.n;
    s.mLon += dLon / s.n;
    s.sLat += dLat * (lat - s.mLat);
    s.sLon += dLon * (lon - s.mLon);
  },
  (s) => {
    if (s.n < 2) return null;
    const kmLon = KM_PER_DEG * Math.cos(s.mLat * RAD);
    return Math.sqrt((s.sLat / s.n) * KM_PER_DEG * KM_PER_DEG + (s.sLon / s.n) * kmLon * kmLon);
  },
);

interface HomeParams extends GeoParams {
  readonly samples: number;
}

interface HomeState {
  /** Ring of the last `samples` points, flattened [lat, lon, lat, lon, …]. */
  pts: number[];
  /** Once full, the slot of the oldest point. */
  head: number;
}

/** Haversine km from the latest point to the centroid of the last `samples` points (itself included). */
export const distanceFromHomeOp: OperatorDef<HomeParams, HomeState> = {
  op: "distance_from_home",
  windowSupport: "lifetime",
  params: [...GEO_PARAMS, "samples"],
  parse: (params, ctx) => ({
    ...parseGeo(params, ctx, "distance_from_home"),
    samples: countParam(params, ctx, "distance_from_home", "samples", 100),
  }),
  outputType: () => T.f64,
  fields: (p) => [p.lat, p.lon],
  create: () => ({ pts: [], head: 0 }),
  update(s, p, row) {
    if (!readPoint(row, p, pt)) return s;
    if (s.pts.length < 2 * p.samples) {
      s.pts.push(pt[0], pt[1]);
    } else {
      s.pts[2 * s.head] = pt[0];
      s.pts[2 * s.head + 1] = pt[1];
      s.head = s.head + 1 === p.samples ? 0 : s.head + 1;
    }
    return s;
  },
  read(s, p) {
    const n = s.pts.length / 2;
    if (n === 0) return null;
    let sumLat = 0;
    let sumLon = 0;
    for (let i = 0; i < s.pts.length; i += 2) {
      sumLat += s.pts[i]!;
      sumLon += s.pts[i + 1]!;
    }
    const newest = n < p.samples ? n - 1 : (s.head - 1 + n) % n;
    return haversineKm(s.pts[2 * newest]!, s.pts[2 * newest + 1]!, sumLat / n, sumLon / n);
  },
};
