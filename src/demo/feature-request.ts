import { AMOUNT_FIELD, FRAUD_SERVICE } from "./fraud-example.ts";
import type { GetFeaturesReply } from "./feature-table.ts";

/**
 * The demo's GetFeatures request: score a transaction of `amount` by `userId` at `merchantId`
 * against the fraud_detection feature service, asking for everything the feature table shows.
 * The same body is sent by the demo and printed in the curl and buf curl commands.
 */

export const GET_FEATURES_PATH = "/api/v1/feature-service/get-features";
/** The same call on the Connect port; its JSON body is the Tecton body. */
export const GET_FEATURES_RPC = "/tessera.featureservice.v1.FeatureService/GetFeatures";

export interface ScoredTransaction {
  readonly userId: string;
  readonly merchantId: string;
  readonly amount: number;
}

export function getFeaturesBody(t: ScoredTransaction): { params: Record<string, unknown> } {
  return {
    params: {
      featureServiceName: FRAUD_SERVICE,
      joinKeyMap: { user_id: t.userId, merchant_id: t.merchantId },
      requestContextMap: { [AMOUNT_FIELD]: t.amount },
      metadataOptions: { includeNames: true, includeDataTypes: true, includeEffectiveTimes: true, includeServingStatus: true },
    },
  };
}

/** POSTs the request to Tecton's REST path, as any Tecton client would. */
export async function getFeatures(baseUrl: string, t: ScoredTransaction): Promise<GetFeaturesReply> {
  const res = await fetch(`${baseUrl}${GET_FEATURES_PATH}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(getFeaturesBody(t)),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`GetFeatures answered HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as GetFeaturesReply;
}
