/**
 * What is kept for one Session Transfer Token, under the hash of the token. Nothing in it is a
 * bearer secret: the refresh token is identified by a hash, never by its value.
 * @category Storage
 */
export interface TransferRecord {
  /** Account (subject) the native login belongs to. */
  accountId: string;
  /** The native client that minted the token. */
  clientId: string;
  /** oidc-provider grant id of the native refresh token (the parent grant). */
  grantId: string;
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
  /**
   * A delegated token (Session Delegation): `sub` of the actor, whose ID token the minting client
   * (`clientId`) presented; `grantId` is then the actor's grant at that client.
   */
  actor?: string;
  /**
   * The refresh token the token was minted from: an id (a hash of it, never the token) and the
   * metadata the host set when it was issued (`refreshTokenMetadata`), as Auth0's Actions show them.
   */
  parentRefreshToken?: { id: string; metadata?: Record<string, string> };
}

/**
 * What is kept for one browser session created from a transfer, under its session uid.
 * @category Storage
 */
export interface TransferredSession {
  /** The parent grant (the native refresh token's) and the native client. */
  grantId: string;
  clientId: string;
  accountId: string;
  /** Idle lifetime in seconds set by the redeem hook: the session ends when unused this long. */
  idle?: number;
  /** The native client enforces cascade revocation: the web grants of this session are recorded. */
  cascade?: true;
  /** A delegated session: the actor's `sub` (see `TransferRecord.actor`), and the one web client it is valid at. */
  actor?: string;
  target?: string;
  /** Claims the redeem hook added to the session's ID tokens (`idTokenClaims`). */
  claims?: Record<string, unknown>;
}

/**
 * The lineage a session joins when recorded: the parent grant's cap, and the issue time of the token redeemed.
 * @category Storage
 */
export interface SessionLineage {
  max: number;
  mintedAt: number;
}

/**
 * What `addChild` did: recorded, refused as over `max`, or refused because the parent's cascade has begun.
 * @category Storage
 */
export type AddChildResult = 'added' | 'full' | 'revoked';

/**
 * What a parent grant spawned: a browser session (by uid) or a web client's grant (by id).
 * @category Storage
 */
export type Child = `session:${string}` | `grant:${string}`;

/**
 * What consuming a token found: its record (the first presentation), `{ replayed, by }` with the
 * parent grant and the address that consumed it first (a token already consumed, within its
 * lifetime), or undefined (never issued, or expired).
 * @category Storage
 */
export type Consumed = TransferRecord | { replayed: string; by: string } | undefined;

/**
 * A device session (OpenID Connect Native SSO): what one sign-in of a native app with the
 * `device_sso` scope shares with the other apps of its group on the device, kept under its id
 * (the `sid` of its apps' ID tokens). It holds that sign-in as a transfer record holds a native
 * login: `clientId` and `grantId` are its app's, `scope` the most another app gets without a
 * prompt, `iat` and `exp` its start and end. Its device secrets are kept as hashes only.
 * @category Storage
 */
export type DeviceSession = Pick<TransferRecord, 'accountId' | 'clientId' | 'grantId' | 'scope' | 'authTime' | 'amr' | 'acr' | 'iat' | 'exp'>;

/**
 * Storage of device sessions (Native SSO). The apps signed in from one are the children of the
 * lineage `device:<id>` (`addChild`, `endLineage`), so a device logout ends them as a cascade.
 * Device secrets are kept as hashes (`ds_hash`), the latest few per session (rotation).
 * `RedisStore` and `MemoryStore` implement it; a custom store needs it only for `nativeSso`.
 * @category Storage
 */
export interface DeviceSessionStore {
  /** Keeps a device session for `ttlSeconds` with its first device secret (`secretHash`), replacing one of the same id. */
  saveDeviceSession(id: string, session: DeviceSession, secretHash: string, ttlSeconds: number): Promise<void>;
  /** Adds a device secret, keeping the latest `max`; false (nothing added) when the device session is gone. */
  addDeviceSecret(id: string, secretHash: string, max: number): Promise<boolean>;
  /** The device session while it lives, and whether `secretHash` is one of its current secrets. */
  deviceSession(id: string, secretHash: string): Promise<{ session: DeviceSession; current: boolean } | undefined>;
  /** Forgets a device session and its secrets: they are refused from now on. */
  deleteDeviceSession(id: string): Promise<void>;
  /** Links an app's grant to the device session it belongs to, for `ttlSeconds`. */
  linkDeviceGrant(grantId: string, id: string, ttlSeconds: number): Promise<void>;
  /** The device session a grant was linked to, while the link lives. */
  deviceSessionOfGrant(grantId: string): Promise<string | undefined>;
}

/** The operations of `DeviceSessionStore`, which `nativeSso` checks a custom store for. */
export const DEVICE_SESSION_OPERATIONS = [
  'saveDeviceSession', 'addDeviceSecret', 'deviceSession', 'deleteDeviceSession', 'linkDeviceGrant', 'deviceSessionOfGrant',
] as const satisfies readonly (keyof DeviceSessionStore)[];

/** The lineage parent of a device session's apps: ids of oidc-provider grants never take this form. */
export const deviceLineage = (id: string): string => `device:${id}`;

/**
 * Storage for Session Transfer Tokens, keyed by token hash. Implementations must expire entries
 * after `ttlSeconds` and consume atomically: of any number of concurrent `consume` calls for one
 * hash, exactly one gets the record, and the others, until the token would have expired, learn
 * that it was replayed. Failures to reach the backing store reject with `StoreUnavailableError`
 * within a bounded time.
 * @category Storage
 */
export interface TransferStore extends Partial<DeviceSessionStore> {
  save(tokenHash: string, record: TransferRecord, ttlSeconds: number): Promise<void>;
  /** Consumes a token; `consumer` (the redeeming address) is kept for a replay to report. */
  consume(tokenHash: string, consumer?: string): Promise<Consumed>;
  /** Counts a token minted under a parent grant; the count of the window of `windowSeconds` it falls in. */
  countIssued(parentGrantId: string, windowSeconds: number): Promise<number>;
  /** When the parent grant's tokens were last made void, if within a token lifetime. */
  transfersRevokedAt(parentGrantId: string): Promise<number | undefined>;
  /**
   * Records a session created from a transfer, kept for `ttlSeconds`, or for its `idle`
   * lifetime from the last `touchSession` when it has one. With `lineage`, it also becomes a child
   * of its parent grant (as `addChild` of `session:<uid>`, with the token's issue time), and the
   * record is kept only when the child is added: a cascade that finds the child always finds the
   * record to delete, and a refused session leaves nothing. Answers what `addChild` did, or
   * undefined without `lineage`.
   */
  saveSession(uid: string, session: TransferredSession, ttlSeconds: number, lineage?: SessionLineage): Promise<AddChildResult | undefined>;
  /** The session's record, restarting its idle lifetime; undefined once it expired. */
  touchSession(uid: string): Promise<TransferredSession | undefined>;
  /** The session's record as it is, its idle lifetime left running (a token bound to it is used, not the session); undefined once it expired. */
  findSession(uid: string): Promise<TransferredSession | undefined>;
  /** Forgets sessions' records: each session then ends at its next use. */
  deleteSessions(uids: string[]): Promise<void>;
  /**
   * Records a child of a parent grant, kept at least `ttlSeconds`: `'full'`, recording nothing,
   * when the grant already has `max` children that have not expired; with `mintedAt` (the token's
   * issue time), `'revoked'` when `endLineage` made the parent's tokens of that time void. Atomic
   * with `endLineage`: a child is either among the children it returns or refused.
   */
  addChild(parentGrantId: string, child: Child, ttlSeconds: number, max: number, mintedAt?: number): Promise<AddChildResult>;
  /**
   * Ends a parent grant's lineage: its tokens minted at or before `at` (seconds) are void from now
   * on, for `ttlSeconds` (the longest a token lives; `transfersRevokedAt` reports it), and its
   * children are returned.
   */
  endLineage(parentGrantId: string, at: number, ttlSeconds: number): Promise<Child[]>;
  /** Forgets a parent grant's children (after they were revoked). */
  removeChildren(parentGrantId: string, children: Child[]): Promise<void>;
  /**
   * Links an actor (a key naming a delegating client and an account) to that account's latest
   * grant at the client, for `ttlSeconds`: how a delegated mint finds its actor's grant.
   */
  linkActor(actorKey: string, grantId: string, ttlSeconds: number): Promise<void>;
  /** The grant `linkActor` linked the actor to, while the link lives. */
  grantOfActor(actorKey: string): Promise<string | undefined>;
  /** Keeps the metadata the host set on a native grant's latest refresh token (`refreshTokenMetadata`), for `ttlSeconds`. */
  saveGrantMetadata(grantId: string, metadata: Record<string, string>, ttlSeconds: number): Promise<void>;
  /** The metadata `saveGrantMetadata` kept, while it lives. */
  grantMetadata(grantId: string): Promise<Record<string, string> | undefined>;
}

export function parseJson<T>(json: string | null | undefined): T | undefined {
  return json === null || json === undefined ? undefined : JSON.parse(json) as T;
}

/** How long a session record lives before it is touched again. */
export function sessionRecordTtl(session: TransferredSession, ttlSeconds: number): number {
  return session.idle ? Math.min(session.idle, ttlSeconds) : ttlSeconds;
}
