/** Bing Maps tile system (https://learn.microsoft.com/bingmaps/articles/bing-maps-tile-system). */

const MAX_LATITUDE = 85.05112878;
const TILE_SIZE = 256;

const clamp = (x: number, lo: number, hi: number): number => (x < lo ? lo : x > hi ? hi : x);

/**
 * The quadkey of the tile holding (lat, lon) at `zoom` (1..24), as the base-4 integer of its digits:
 * quadkey "213" is 2·16 + 1·4 + 3 = 39. Leading zeros vanish, so keys are unique only within one zoom.
 */
export function quadkey(lat: number, lon: number, zoom: number): number {
  const sinLat = Math.sin((clamp(lat, -MAX_LATITUDE, MAX_LATITUDE) * Math.PI) / 180);
  const x = (clamp(lon, -180, 180) + 180) / 360;
  const y = 0.5 - Math.log((1 + sinLat) / (1 - sinLat)) / (4 * Math.PI);
  const mapSize = TILE_SIZE * 2 ** zoom;
  const tileX = Math.floor(Math.floor(clamp(x * mapSize + 0.5, 0, mapSize - 1)) / TILE_SIZE);
  const tileY = Math.floor(Math.floor(clamp(y * mapSize + 0.5, 0, mapSize - 1)) / TILE_SIZE);
  let key = 0;
  for (let bit = zoom - 1; bit >= 0; bit--) {
    key = key * 4 + ((tileX >> bit) & 1) + 2 * ((tileY >> bit) & 1);
  }
  return key;
}
