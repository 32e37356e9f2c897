import type { FraudEvent, LoginData, TransactionData } from "./fraud-example.ts";
import { createRng, normal, randomInt, zipf, type Rng } from "./random.ts";

/**
 * The demo's synthetic traffic for the fraud example: card transactions and logins of zipfian users
 * at zipfian merchants, with a few account-takeover bursts mixed in. Everything derives from one
 * seed, so a run can be repeated exactly.
 */

export interface TransactionGeneratorOptions {
  /** Seed of every random choice: the same seed and sizes give the same stream. */
  readonly seed: number;
  /** Events in the stream, transactions and logins together; at least MIN_EVENTS. */
  readonly events: number;
  /** Distinct users; user 1 is the most active (zipf, s = 1.1). MIN_USERS to MAX_USERS. Default 10 000. */
  readonly users?: number;
}

/** Enough room for one burst well inside ordinary traffic. */
export const MIN_EVENTS = 1_000;
/** Burst victims are drawn from the quieter 90 % of users, distinct: this keeps that pool large. */
export const MIN_USERS = 100;
/** About 40 bytes of generator state per user. */
export const MAX_USERS = 1_000_000;
export const DEFAULT_USERS = 10_000;
/** Distinct merchants (zipf, s = 1.0). */
const MERCHANTS = 2_000;
const MERCHANT_WIDTH = String(MERCHANTS).length;

/** A user to score a transaction for, with the merchant of that transaction. */
export interface ScoredUser {
  readonly userId: string;
  readonly merchantId: string;
  /** Transactions of this user in the stream. */
  readonly transactions: number;
}

const COUNTRIES = ["US", "GB", "DE", "FR", "CA", "BR", "IN", "JP", "AU", "MX"] as const;
/** Home-country weights, same order as COUNTRIES. */
const HOME_WEIGHTS = [40, 10, 8, 8, 7, 7, 6, 5, 5, 4] as const;
const CHANNELS = ["web", "app", "pos"] as const;
const CHANNEL_WEIGHTS = [45, 35, 20] as const;

/** Share of events that are logins; the rest are transactions. */
const LOGIN_SHARE = 0.08;
const LOGIN_FAILURE_RATE = 0.03;
/** Share of ordinary transactions made abroad. */
const TRAVEL_RATE = 0.02;
/** One burst per this many events, between 1 and MAX_BURSTS. */
const EVENTS_PER_BURST = 50_000;
const MAX_BURSTS = 5;
/** A burst: failed logins from a new device abroad, one success, card testing, then cash-out. */
const BURST_FAILED_LOGINS = 6;
const BURST_CARD_TESTS = 8;
const BURST_CASH_OUTS = 25;

export class TransactionGenerator {
  /** Events the stream holds. */
  readonly total: number;
  private readonly rng: Rng;
  private readonly users: number;
  private readonly drawUser: () => number;
  private readonly drawMerchant: () => number;
  private readonly userWidth: number;
  /** Per user (index = rank - 1): home country index, cards, devices, typical amount. */
  private readonly home: Uint8Array;
  private readonly cards: Uint8Array;
  private readonly devices: Uint8Array;
  private readonly spend: Float64Array;
  /** Per user: transactions so far, and the merchant index of the latest one (-1: none). */
  private readonly txnCount: Uint32Array;
  private readonly lastMerchant: Int32Array;
  /** Burst start positions (ascending) and their victims' user indexes. */
  private readonly burstStarts: readonly number[];
  private readonly victims: readonly number[];
  private readonly pending: FraudEvent[] = [];
  private emitted = 0;
  private nextBurst = 0;
  private txnSeq = 0;
  private logins = 0;

  constructor(options: TransactionGeneratorOptions) {
    const users = options.users ?? DEFAULT_USERS;
    if (!Number.isSafeInteger(options.events) || options.events < MIN_EVENTS) throw new RangeError(`events must be an integer of at least ${MIN_EVENTS}`);
    if (!Number.isSafeInteger(users) || users < MIN_USERS || users > MAX_USERS) throw new RangeError(`users must be an integer from ${MIN_USERS} to ${MAX_USERS}`);
    this.total = options.events;
    this.users = users;
    this.rng = createRng(options.seed);
    this.drawUser = zipf(this.rng, users, 1.1);
    this.drawMerchant = zipf(this.rng, MERCHANTS, 1.0);
    // One width for every user id, the never-seen cold user (users + 1) included.
    this.userWidth = String(users + 1).length;

    this.home = new Uint8Array(users);
    this.cards = new Uint8Array(users);
    this.devices = new Uint8Array(users);
    this.spend = new Float64Array(users);
    for (let i = 0; i < users; i++) {
      this.home[i] = weighted(this.rng, HOME_WEIGHTS);
      this.cards[i] = 1 + randomInt(this.rng, 3);
      this.devices[i] = 1 + randomInt(this.rng, 2);
      // Typical amounts differ per user: median $35, most between about $10 and $120.
      this.spend[i] = Math.exp(Math.log(35) + 0.6 * normal(this.rng));
    }
    this.txnCount = new Uint32Array(users);
    this.lastMerchant = new Int32Array(users).fill(-1);

    const bursts = Math.min(MAX_BURSTS, Math.max(1, Math.floor(this.total / EVENTS_PER_BURST)));
    this.burstStarts = Array.from({ length: bursts }, (_, k) => Math.floor(((k + 1) * this.total) / (bursts + 1)));
    // Victims come from the quieter 90 %, so a burst stands out against a modest history.
    const quiet = Math.ceil(users / 10);
    const victims: number[] = [];
    while (victims.length < bursts) {
      const v = quiet + randomInt(this.rng, users - quiet);
      if (!victims.includes(v)) victims.push(v);
    }
    this.victims = victims;
  }

  /** The next event, or undefined once `total` have been emitted. */
  next(): FraudEvent | undefined {
    if (this.emitted === this.total) return undefined;
    if (this.pending.length === 0 && this.emitted === this.burstStarts[this.nextBurst]) {
      this.queueBurst(this.victims[this.nextBurst]);
      this.nextBurst++;
    }
    this.emitted++;
    // Burst events are queued in reverse, so pop() yields them in order.
    const burst = this.pending.pop();
    if (burst !== undefined) return burst;
    const user = this.drawUser() - 1;
    return this.rng.next() < LOGIN_SHARE ? this.ordinaryLogin(user) : this.ordinaryTransaction(user);
  }

  /** Transactions and logins generated so far (a burst is generated whole when it begins). */
  counts(): { readonly transactions: number; readonly logins: number } {
    return { transactions: this.txnSeq, logins: this.logins };
  }

  /** Number of account-takeover bursts in the stream. */
  get bursts(): number {
    return this.victims.length;
  }

  /** The user with the most transactions so far, at the merchant of their latest one. */
  hottestUser(): ScoredUser {
    let best = 0;
    for (let i = 1; i < this.users; i++) if (this.txnCount[i] > this.txnCount[best]) best = i;
    return this.scored(best);
  }

  /** The victims of the bursts, in stream order, each at the merchant of their latest transaction. */
  burstUsers(): ScoredUser[] {
    return this.victims.map((v) => this.scored(v));
  }

  /** A user who never appears in the stream, at the most popular merchant. */
  coldUser(): ScoredUser {
    return { userId: this.userId(this.users), merchantId: this.merchantId(0), transactions: 0 };
  }

  private scored(user: number): ScoredUser {
    const m = this.lastMerchant[user];
    return { userId: this.userId(user), merchantId: this.merchantId(m < 0 ? 0 : m), transactions: this.txnCount[user] };
  }

  private ordinaryTransaction(user: number): FraudEvent {
    const home = this.home[user];
    const country = this.rng.next() < TRAVEL_RATE ? otherCountry(this.rng, home) : home;
    const amount = this.spend[user] * Math.exp(0.8 * normal(this.rng));
    return this.transaction(user, {
      card: 1 + randomInt(this.rng, this.cards[user]),
      device: 1 + randomInt(this.rng, this.devices[user]),
      merchant: this.drawMerchant() - 1,
      amount,
      country,
      channel: CHANNELS[weighted(this.rng, CHANNEL_WEIGHTS)],
    });
  }

  private ordinaryLogin(user: number): FraudEvent {
    const data: LoginData = {
      user_id: this.userId(user),
      device_id: this.deviceId(user, 1 + randomInt(this.rng, this.devices[user])),
      country: COUNTRIES[this.home[user]],
      success: this.rng.next() >= LOGIN_FAILURE_RATE,
    };
    this.logins++;
    return { event: "login", data };
  }

  /**
   * An account takeover: failed logins from a device and country the user never used, one that
   * succeeds, small "card testing" charges on a new card, then large charges at random merchants.
   */
  private queueBurst(user: number): void {
    const device = this.devices[user] + 1;
    const card = this.cards[user] + 1;
    const country = otherCountry(this.rng, this.home[user]);
    const events: FraudEvent[] = [];
    const login = (success: boolean): FraudEvent => {
      this.logins++;
      return { event: "login", data: { user_id: this.userId(user), device_id: this.deviceId(user, device), country: COUNTRIES[country], success } };
    };
    for (let i = 0; i < BURST_FAILED_LOGINS; i++) events.push(login(false));
    events.push(login(true));
    const charge = (amount: number): FraudEvent =>
      this.transaction(user, { card, device, merchant: randomInt(this.rng, MERCHANTS), amount, country, channel: "web" });
    for (let i = 0; i < BURST_CARD_TESTS; i++) events.push(charge(1 + this.rng.next() * 2));
    for (let i = 0; i < BURST_CASH_OUTS; i++) events.push(charge(400 + this.rng.next() * 1600));
    this.pending.push(...events.reverse());
  }

  private transaction(
    user: number,
    t: { card: number; device: number; merchant: number; amount: number; country: number; channel: string },
  ): FraudEvent {
    const id = this.paddedUser(user);
    const data: TransactionData = {
      txn_id: `t${++this.txnSeq}`,
      user_id: `u${id}`,
      card_id: `c${id}-${t.card}`,
      merchant_id: this.merchantId(t.merchant),
      device_id: this.deviceId(user, t.device),
      // Cents, and never below one.
      amount: Math.max(1, Math.round(t.amount * 100)) / 100,
      country: COUNTRIES[t.country],
      channel: t.channel,
    };
    this.txnCount[user]++;
    this.lastMerchant[user] = t.merchant;
    return { event: "transaction", data };
  }

  private paddedUser(user: number): string {
    return String(user + 1).padStart(this.userWidth, "0");
  }

  private userId(user: number): string {
    return `u${this.paddedUser(user)}`;
  }

  private deviceId(user: number, device: number): string {
    return `d${this.paddedUser(user)}-${device}`;
  }

  private merchantId(merchant: number): string {
    return `m${String(merchant + 1).padStart(MERCHANT_WIDTH, "0")}`;
  }
}

/** An index drawn with the given relative weights. */
function weighted(r: Rng, weights: readonly number[]): number {
  let total = 0;
  for (const w of weights) total += w;
  let u = r.next() * total;
  for (let i = 0; i < weights.length; i++) {
    u -= weights[i];
    if (u < 0) return i;
  }
  return weights.length - 1;
}

/** A country index other than `home`, uniformly. */
function otherCountry(r: Rng, home: number): number {
  const c = randomInt(r, COUNTRIES.length - 1);
  return c >= home ? c + 1 : c;
}
