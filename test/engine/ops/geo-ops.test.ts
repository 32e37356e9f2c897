import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  distanceFromHomeOp,
  geoDistanceOp,
  geoSpreadOp,
  geoVelocityOp,
  haversineKm,
} from "../../../src/engine/aggregate/ops/geo-ops.ts";
import { T } from "../../../src/engine/types.ts";
import { assertClose, assertCode, ctx, drive } from "./helpers.ts";
import type { AnyDef, Ev } from "./helpers.ts";

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const pt = (lat: unknown, lon: unknown, now = T0): Ev => ({ row: { lat: lat as number, lon: lon as number }, now });
const GEO: AnyDef[] = [geoVelocityOp, geoDistanceOp, geoSpreadOp, distanceFromHomeOp];

const pointArb = fc.record({
  lat: fc.double({ min: -60, max: 60, noNaN: true }),
  lon: fc.double({ min: -170, max: 170, noNaN: true }),
  gap: fc.integer({ min: 0, max: 2 * HOUR }),
});

describe("geo ops: params", () => {
  it("default to fields lat/lon and accept lat_field|lat, lon_field|lon", () => {
    for (const def of GEO) {
      assert.deepEqual(def.fields(def.parse({}, ctx(), undefined)), ["lat", "lon"]);
      assert.deepEqual(def.fields(def.parse({ lat_field: "home_lat", lon: "home_lon" }, ctx(), undefined)), ["home_lat", "home_lon"]);
    }
  });

  it("reject unknown, non-numeric or conflicting coordinate fields", () => {
    for (const def of GEO) {
      assertCode(() => def.parse({ lat: "nope" }, ctx(), undefined), "aggregation_unknown_field");
      assertCode(() => def.parse({ lon_field: "device" }, ctx(), undefined), "aggregation_unknown_field");
      assertCode(() => def.parse({}, ctx({ lat: T.f64 }), undefined), "aggregation_unknown_field");
      assertCode(() => def.parse({ lat: "lat", lat_field: "home_lat" }, ctx(), undefined), "invalid_registration");
    }
  });

  it("distance_from_home samples in [1, 1024], default 100", () => {
    assert.equal(distanceFromHomeOp.parse({}, ctx(), undefined).samples, 100);
    for (const samples of [0, 1025, 1.5]) assertCode(() => distanceFromHomeOp.parse({ samples }, ctx(), undefined), "aggregation_unknown_field");
  });
});

describe("haversine", () => {
  it("matches published distances (R = 6371 km)", () => {
    assert.ok(Math.abs(haversineKm(40.7128, -74.006, 51.5074, -0.1278) - 5570) < 20);
    assertClose(haversineKm(0, 0, 0, 1), (6371 * Math.PI) / 180, 1e-12);
    assertClose(haversineKm(0, 0, 0, 180), 6371 * Math.PI, 1e-12);
  });
});

describe("geo_velocity / geo_distance", () => {
  it("velocity is the maximum km/h between consecutive points; null empty, 0 after one", () => {
    const d = drive(geoVelocityOp, {});
    assert.equal(d.read(), null);
    d.push(pt(40.7128, -74.006, T0));
    assert.equal(d.read(), 0);
    d.push(pt(41.7128, -74.006, T0 + HOUR));
    assertClose(d.read(), (6371 * Math.PI) / 180, 1e-9);
    d.push(pt(41.7128, -74.006, T0 + 2 * HOUR), pt(0, 0, T0 + 2 * HOUR));
    assertClose(d.read(), (6371 * Math.PI) / 180, 1e-9, "no elapsed time: no speed");
  });

  it("skip points with a missing, non-numeric or out-of-range coordinate", () => {
    const d = drive(geoDistanceOp, {}).push(pt(0, 0), pt(null, 1), pt("1", 1), pt(91, 0), pt(0, 181), { row: { lat: 0 }, now: T0 }, pt(0, 1));
    assertClose(d.read(), (6371 * Math.PI) / 180, 1e-12);
  });

  it("match oracles over the point list (property)", () => {
    fc.assert(
      fc.property(fc.array(pointArb, { maxLength: 30 }), (pts) => {
        let t = T0;
        const evs = pts.map((p) => pt(p.lat, p.lon, (t += p.gap)));
        let path = 0;
        let vmax = 0;
        for (let i = 1; i < pts.length; i++) {
          const km = haversineKm(pts[i - 1]!.lat, pts[i - 1]!.lon, pts[i]!.lat, pts[i]!.lon);
          path += km;
          const dt = evs[i]!.now - evs[i - 1]!.now;
          if (dt > 0) vmax = Math.max(vmax, km / (dt / HOUR));
        }
        assertClose(drive(geoDistanceOp, {}).push(...evs).read(), path, 1e-9);
        const v = drive(geoVelocityOp, {}).push(...evs).read();
        if (pts.length === 0) assert.equal(v, null);
        else assertClose(v, vmax, 1e-9);
      }),
    );
  });
});

describe("geo_spread", () => {
  it("is the RMS distance from the centroid (unit square ≈ 78.6 km)", () => {
    const d = drive(geoSpreadOp, {}).push(pt(0, 0));
    assert.equal(d.read(), null);
    d.push(pt(1, 0), pt(0, 1), pt(1, 1));
    const k = (6371 * Math.PI) / 180;
    assertClose(d.read(), Math.sqrt(0.25 * k * k + 0.25 * (k * Math.cos(0.5 * (Math.PI / 180))) ** 2), 1e-12);
  });

  it("matches a two-pass oracle and ignores order (property)", () => {
    fc.assert(
      fc.property(fc.array(pointArb, { minLength: 2, maxLength: 30 }), (pts) => {
        const n = pts.length;
        const mLat = pts.reduce((a, p) => a + p.lat, 0) / n;
        const mLon = pts.reduce((a, p) => a + p.lon, 0) / n;
        const vLat = pts.reduce((a, p) => a + (p.lat - mLat) ** 2, 0) / n;
        const vLon = pts.reduce((a, p) => a + (p.lon - mLon) ** 2, 0) / n;
        const k = (6371 * Math.PI) / 180;
        const expected = Math.sqrt(vLat * k * k + vLon * (k * Math.cos((mLat * Math.PI) / 180)) ** 2);
        const fwd = drive(geoSpreadOp, {}).push(...pts.map((p) => pt(p.lat, p.lon))).read() as number;
        const rev = drive(geoSpreadOp, {}).push(...pts.map((p) => pt(p.lat, p.lon)).reverse()).read() as number;
        assert.ok(Math.abs(fwd - expected) <= 1e-6 * Math.max(1, expected), `${fwd} vs ${expected}`);
        assert.ok(Math.abs(fwd - rev) <= 1e-6 * Math.max(1, expected));
      }),
    );
  });
});

describe("distance_from_home", () => {
  it("measures the latest point against the centroid of the last `samples` points", () => {
    const d = drive(distanceFromHomeOp, { samples: 3 }).push(pt(0, 0), pt(0, 0.1), pt(0.1, 0), pt(1, 1));
    // Centroid of (0, 0.1), (0.1, 0), (1, 1).
    assertClose(d.read(), haversineKm(1, 1, 1.1 / 3, 1.1 / 3), 1e-12);
  });

  it("matches an oracle over the point list (property)", () => {
    fc.assert(
      fc.property(fc.array(pointArb, { maxLength: 40 }), fc.integer({ min: 1, max: 8 }), (pts, samples) => {
        const got = drive(distanceFromHomeOp, { samples }).push(...pts.map((p) => pt(p.lat, p.lon))).read();
        if (pts.length === 0) return assert.equal(got, null);
        const win = pts.slice(-samples);
        const cLat = win.reduce((a, p) => a + p.lat, 0) / win.length;
        const cLon = win.reduce((a, p) => a + p.lon, 0) / win.length;
        const last = pts.at(-1)!;
        assertClose(got, haversineKm(last.lat, last.lon, cLat, cLon), 1e-9);
      }),
    );
  });
});
