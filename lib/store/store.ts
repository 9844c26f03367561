/**
 * What is kept for one Session Transfer Token, under the hash of the token. Nothing in it is a
 * bearer secret: the refresh token is identified by a hash, never by its value.
 */
export interface TransferRecord {
  /** Account (subject) the native login belongs to. */
  accountId: string;
  /** The native client that minted the token. */
  clientId: string;
  /** oidc-provider grant id of the native refresh token (the parent grant). */
  grantId: string;
  /** Identifies the refresh token that was exchanged: `hashToken()` of it, never its value. */
  refreshTokenHash: string;
  /** Space-delimited scope of the refresh token. */
  scope: string;
  /** The native login's `auth_time` (seconds), `amr` and `acr`. */
  authTime?: number;
  amr?: string[];
  acr?: string;
  /** Web clients allowed to redeem; absent means any client that accepts transfers. */
  audience?: string[];
  /** The minting request's client IP (see `trustProxy`), user agent and ASN. */
  ip: string;
  userAgent?: string;
  asn?: number;
  /** Issue and expiry times, seconds since the epoch. */
  iat: number;
  exp: number;
}

/** What is kept for one browser session created from a transfer, under its session uid. */
export interface TransferredSession {
  /** The parent grant (the native refresh token's) and the native client. */
  grantId: string;
  clientId: string;
  accountId: string;
  /** Idle lifetime in seconds set by the redeem hook: the session ends when unused this long. */
  idle?: number;
  /** The native client enforces cascade revocation: the web grants of this session are recorded. */
  cascade?: true;
}

/** What a parent grant spawned: a browser session (by uid) or a web client's grant (by id). */
export type Child = `session:${string}` | `grant:${string}`;

/**
 * What consuming a token found: its record (the first presentation), `{ replayed, by }` with the
 * parent grant and the address that consumed it first (a token already consumed, within its
 * lifetime), or undefined (never issued, or expired).
 */
export type Consumed = TransferRecord | { replayed: string; by: string } | undefined;

/**
 * Storage for Session Transfer Tokens, keyed by token hash. Implementations must expire entries
 * after `ttlSeconds` and consume atomically: of any number of concurrent `consume` calls for one
 * hash, exactly one gets the record, and the others, until the token would have expired, learn
 * that it was replayed. Failures to reach the backing store reject with `StoreUnavailableError`
 * within a bounded time.
 */
export interface TransferStore {
  save(tokenHash: string, record: TransferRecord, ttlSeconds: number): Promise<void>;
  /** Consumes a token; `consumer` (the redeeming address) is kept for a replay to report. */
  consume(tokenHash: string, consumer?: string): Promise<Consumed>;
  /** Counts a token minted under a parent grant; the count of the window of `windowSeconds` it falls in. */
  countIssued(parentGrantId: string, windowSeconds: number): Promise<number>;
  /**
   * Records that the parent grant's tokens minted at or before `at` (seconds) are void — its
   * refresh token was revoked though the grant was kept — for `ttlSeconds`, the longest a token lives.
   */
  revokeTransfers(parentGrantId: string, at: number, ttlSeconds: number): Promise<void>;
  /** When the parent grant's tokens were last made void, if within a token lifetime. */
  transfersRevokedAt(parentGrantId: string): Promise<number | undefined>;
  /**
   * Records a session created from a transfer, kept for `ttlSeconds`, or for its `idle`
   * lifetime from the last `touchSession` when it has one.
   */
  saveSession(uid: string, session: TransferredSession, ttlSeconds: number): Promise<void>;
  /** The session's record, restarting its idle lifetime; undefined once it expired. */
  touchSession(uid: string): Promise<TransferredSession | undefined>;
  /** Forgets a session's record: the session then ends at its next use. */
  deleteSession(uid: string): Promise<void>;
  /**
   * Records a child of a parent grant, kept at least `ttlSeconds`; false, recording nothing, when
   * the grant already has `max` children that have not expired.
   */
  addChild(parentGrantId: string, child: Child, ttlSeconds: number, max: number): Promise<boolean>;
  /** The children recorded for a parent grant. */
  children(parentGrantId: string): Promise<Child[]>;
  /** Forgets a parent grant's children (after they were revoked). */
  removeChildren(parentGrantId: string, children: Child[]): Promise<void>;
}

/**
 * Short field names for stored records: a token's record is kept once per outstanding token, so
 * its size is the store's memory. Changing a name here invalidates outstanding tokens (60 s).
 */
const RECORD_FIELDS = {
  accountId: 'a', clientId: 'c', grantId: 'g', refreshTokenHash: 'r', scope: 's', authTime: 't', amr: 'm', acr: 'q',
  audience: 'd', ip: 'i', userAgent: 'u', asn: 'n', iat: 'b', exp: 'e',
} as const satisfies Record<keyof TransferRecord, string>;
const RECORD_NAMES = Object.fromEntries(Object.entries(RECORD_FIELDS).map(([name, short]) => [short, name]));

export function encodeRecord(record: TransferRecord): string {
  return JSON.stringify(Object.fromEntries(Object.entries(record)
    .filter(([, value]) => value !== undefined)
    .map(([name, value]) => [RECORD_FIELDS[name as keyof TransferRecord], value])));
}

export function decodeRecord(json: string | null | undefined): TransferRecord | undefined {
  if (json === null || json === undefined) return undefined;
  const stored = JSON.parse(json) as Record<string, unknown>;
  return Object.fromEntries(Object.entries(stored).map(([short, value]) => [RECORD_NAMES[short], value])) as unknown as TransferRecord;
}

/** A replay marker `!<parent grant> <consumer>` as `consume()` reports it. */
export function replayMarker(marker: string): { replayed: string; by: string } {
  const [grantId = '', by = ''] = marker.slice(1).split(' ');
  return { replayed: grantId, by };
}

export function parseJson<T>(json: string | null | undefined): T | undefined {
  return json === null || json === undefined ? undefined : JSON.parse(json) as T;
}

/** How long a session record lives before it is touched again. */
export function sessionRecordTtl(session: TransferredSession, ttlSeconds: number): number {
  return session.idle ? Math.min(session.idle, ttlSeconds) : ttlSeconds;
}
