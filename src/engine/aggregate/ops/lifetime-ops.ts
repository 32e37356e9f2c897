import type { OperatorDef } from "../operator.ts";
import { bloomMemberOp } from "./bloom-member.ts";
import { firstNOp, firstOp, lagOp, lastNOp, lastOp, mostRecentNOp, reservoirSampleOp } from "./buffer-ops.ts";
import { decayedCountOp, decayedSumOp, ewmaOp, ewvarOp, ewZscoreOp, twaOp } from "./decay-ops.ts";
import { firstDistinctNOp, lastDistinctNOp } from "./distinct-n-ops.ts";
import { distanceFromHomeOp, geoDistanceOp, geoSpreadOp, geoVelocityOp } from "./geo-ops.ts";
import {
  dowHourHistogramOp,
  eventTypeMixOp,
  histogramOp,
  hourOfDayHistogramOp,
  seasonalDeviationOp,
} from "./histogram-ops.ts";
import {
  ageOp,
  firstSeenInWindowOp,
  firstSeenOp,
  hasSeenOp,
  lastSeenOp,
  timeSinceLastNOp,
  timeSinceOp,
} from "./recency-ops.ts";
import { maxStreakOp, negativeStreakOp, streakOp } from "./streak-ops.ts";
import { trendOp, trendResidualOp } from "./trend-ops.ts";
import {
  burstCountOp,
  deltaFromPrevOp,
  interArrivalStatsOp,
  outlierCountOp,
  rateOfChangeOp,
  valueChangeCountOp,
  zScoreOp,
} from "./velocity-ops.ts";

/**
 * Operators beyond the windowed core (buffers, recency, streaks, decay, velocity, histograms, geo,
 * bloom). All are lifetime except first_n / last_n / first_distinct_n / last_distinct_n (windowed,
 * with a merge) and first_seen_in_window (window_required).
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const LIFETIME_OPERATORS: readonly OperatorDef<any, any>[] = [
  // values
  firstOp,
  lastOp,
  firstNOp,
  lastNOp,
  firstDistinctNOp,
  lastDistinctNOp,
  lagOp,
  mostRecentNOp,
  reservoirSampleOp,
  // recency
  firstSeenOp,
  lastSeenOp,
  ageOp,
  hasSeenOp,
  timeSinceOp,
  timeSinceLastNOp,
  firstSeenInWindowOp,
  // streaks
  streakOp,
  maxStreakOp,
  negativeStreakOp,
  // decay
  ewmaOp,
  ewvarOp,
  ewZscoreOp,
  decayedSumOp,
  decayedCountOp,
  twaOp,
  // velocity
  rateOfChangeOp,
  interArrivalStatsOp,
  burstCountOp,
  deltaFromPrevOp,
  trendOp,
  trendResidualOp,
  outlierCountOp,
  valueChangeCountOp,
  zScoreOp,
  // histograms
  histogramOp,
  hourOfDayHistogramOp,
  dowHourHistogramOp,
  seasonalDeviationOp,
  eventTypeMixOp,
  // geo
  geoVelocityOp,
  geoDistanceOp,
  geoSpreadOp,
  distanceFromHomeOp,
  // sketch
  bloomMemberOp,
];
