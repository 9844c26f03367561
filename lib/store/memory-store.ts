import { decodeRecord, encodeRecord } from './record-codec.js';
import {
  sessionRecordTtl, type AddChildResult, type DeviceSession, type DeviceSessionStore, type Child, type SessionLineage, type Consumed, type TransferredSession, type TransferRecord, type TransferStore,
} from './store.js';

type Expiring<T> = T & { expiresAt: number };

let warned = false;

/**
 * Tokens in this process's memory, for development and the example. It cannot be shared by two
 * processes and loses every token on restart, so it warns once when first created.
 * @category Storage
 */
export class MemoryStore implements TransferStore, DeviceSessionStore {
  /** A record encoded as for Redis, or after its consumption what a replay reports. */
  readonly #entries = new Map<string, Expiring<{ encoded: Buffer } | { replayed: string; by: string }>>();
  readonly #sessions = new Map<string, Expiring<{ json: string }>>();
  readonly #issued = new Map<string, Expiring<{ count: number }>>();
  readonly #revoked = new Map<string, Expiring<{ at: number }>>();
  readonly #metadata = new Map<string, Expiring<{ json: string }>>();
  readonly #actors = new Map<string, Expiring<{ grantId: string }>>();
  readonly #devices = new Map<string, Expiring<{ json: string; secrets: string[] }>>();
  /** A grant's device session id, under the grant id. */
  readonly #deviceGrants = new Map<string, Expiring<{ grantId: string }>>();
  /** Each child with its expiry (ms). */
  readonly #children = new Map<string, Map<Child, number>>();
  readonly #now: () => number;

  /** @param now clock in milliseconds, for tests; defaults to `Date.now`. */
  constructor(now: () => number = Date.now) {
    this.#now = now;
    if (!warned) {
      warned = true;
      process.emitWarning(
        'oidc-session-transfer: MemoryStore keeps tokens in this process only; use a Redis client in production.',
        { code: 'OIDC_SESSION_TRANSFER_MEMORY_STORE' },
      );
    }
  }

  async save(tokenHash: string, record: TransferRecord, ttlSeconds: number): Promise<void> {
    this.#prune();
    // Stored encoded so a caller can never mutate a kept record, as with Redis.
    this.#entries.set(tokenHash, { encoded: encodeRecord(record), expiresAt: this.#now() + ttlSeconds * 1000 });
  }

  async consume(tokenHash: string, consumer = ''): Promise<Consumed> {
    const entry = this.#entries.get(tokenHash);
    if (!entry || entry.expiresAt <= this.#now()) {
      this.#entries.delete(tokenHash);
      return undefined;
    }
    if ('replayed' in entry) return { replayed: entry.replayed, by: entry.by };
    const record = decodeRecord(entry.encoded)!;
    this.#entries.set(tokenHash, { replayed: record.grantId, by: consumer, expiresAt: entry.expiresAt });
    return record;
  }

  async countIssued(parentGrantId: string, windowSeconds: number): Promise<number> {
    const entry = this.#issued.get(parentGrantId);
    if (entry && entry.expiresAt > this.#now()) return ++entry.count;
    this.#issued.set(parentGrantId, { count: 1, expiresAt: this.#now() + windowSeconds * 1000 });
    return 1;
  }

  async transfersRevokedAt(parentGrantId: string): Promise<number | undefined> {
    return this.#revokedAt(parentGrantId);
  }

  async saveSession(uid: string, session: TransferredSession, ttlSeconds: number, lineage?: SessionLineage): Promise<AddChildResult | undefined> {
    this.#prune();
    // Child and record in one synchronous step: a cascade sees both or neither.
    const added = lineage && this.#addChild(session.grantId, `session:${uid}`, ttlSeconds, lineage.max, lineage.mintedAt);
    if (added === undefined || added === 'added') {
      this.#sessions.set(uid, { json: JSON.stringify(session), expiresAt: this.#now() + sessionRecordTtl(session, ttlSeconds) * 1000 });
    }
    return added;
  }

  async deleteSessions(uids: string[]): Promise<void> {
    for (const uid of uids) this.#sessions.delete(uid);
  }

  async touchSession(uid: string): Promise<TransferredSession | undefined> {
    const entry = this.#liveSession(uid);
    if (!entry) return undefined;
    const session = JSON.parse(entry.json) as TransferredSession;
    if (session.idle) entry.expiresAt = this.#now() + session.idle * 1000;
    return session;
  }

  async linkActor(actorKey: string, grantId: string, ttlSeconds: number): Promise<void> {
    this.#actors.set(actorKey, { grantId, expiresAt: this.#now() + ttlSeconds * 1000 });
  }

  async grantOfActor(actorKey: string): Promise<string | undefined> {
    const entry = this.#actors.get(actorKey);
    return entry && entry.expiresAt > this.#now() ? entry.grantId : undefined;
  }

  async saveGrantMetadata(grantId: string, metadata: Record<string, string>, ttlSeconds: number): Promise<void> {
    this.#metadata.set(grantId, { json: JSON.stringify(metadata), expiresAt: this.#now() + ttlSeconds * 1000 });
  }

  async grantMetadata(grantId: string): Promise<Record<string, string> | undefined> {
    const entry = this.#metadata.get(grantId);
    return entry && entry.expiresAt > this.#now() ? JSON.parse(entry.json) as Record<string, string> : undefined;
  }

  async saveDeviceSession(id: string, session: DeviceSession, secretHash: string, ttlSeconds: number): Promise<void> {
    this.#prune();
    this.#devices.set(id, { json: JSON.stringify(session), secrets: [secretHash], expiresAt: this.#now() + ttlSeconds * 1000 });
  }

  async addDeviceSecret(id: string, secretHash: string, max: number): Promise<boolean> {
    const entry = this.#liveDevice(id);
    if (!entry) return false;
    entry.secrets = [...entry.secrets, secretHash].slice(-max);
    return true;
  }

  async deviceSession(id: string, secretHash: string): Promise<{ session: DeviceSession; current: boolean } | undefined> {
    const entry = this.#liveDevice(id);
    return entry && { session: JSON.parse(entry.json) as DeviceSession, current: entry.secrets.includes(secretHash) };
  }

  #liveDevice(id: string) {
    const entry = this.#devices.get(id);
    return entry && entry.expiresAt > this.#now() ? entry : undefined;
  }

  async deleteDeviceSession(id: string): Promise<void> {
    this.#devices.delete(id);
  }

  async linkDeviceGrant(grantId: string, id: string, ttlSeconds: number): Promise<void> {
    this.#deviceGrants.set(grantId, { grantId: id, expiresAt: this.#now() + ttlSeconds * 1000 });
  }

  async deviceSessionOfGrant(grantId: string): Promise<string | undefined> {
    const entry = this.#deviceGrants.get(grantId);
    return entry && entry.expiresAt > this.#now() ? entry.grantId : undefined;
  }

  async findSession(uid: string): Promise<TransferredSession | undefined> {
    const entry = this.#liveSession(uid);
    return entry && JSON.parse(entry.json) as TransferredSession;
  }

  #liveSession(uid: string) {
    const entry = this.#sessions.get(uid);
    if (entry && entry.expiresAt > this.#now()) return entry;
    this.#sessions.delete(uid);
    return undefined;
  }

  async addChild(parentGrantId: string, child: Child, ttlSeconds: number, max: number, mintedAt?: number): Promise<AddChildResult> {
    return this.#addChild(parentGrantId, child, ttlSeconds, max, mintedAt);
  }

  async endLineage(parentGrantId: string, at: number, ttlSeconds: number): Promise<Child[]> {
    const marked = this.#revokedAt(parentGrantId);
    if (marked === undefined || marked < at) this.#revoked.set(parentGrantId, { at, expiresAt: this.#now() + ttlSeconds * 1000 });
    return [...this.#live(parentGrantId).keys()];
  }

  async removeChildren(parentGrantId: string, children: Child[]): Promise<void> {
    const lineage = this.#live(parentGrantId);
    for (const child of children) lineage.delete(child);
    if (lineage.size === 0) this.#children.delete(parentGrantId);
  }

  #revokedAt(parentGrantId: string): number | undefined {
    const entry = this.#revoked.get(parentGrantId);
    return entry && entry.expiresAt > this.#now() ? entry.at : undefined;
  }

  #addChild(parentGrantId: string, child: Child, ttlSeconds: number, max: number, mintedAt?: number): AddChildResult {
    const revokedAt = this.#revokedAt(parentGrantId);
    if (mintedAt !== undefined && revokedAt !== undefined && mintedAt <= revokedAt) return 'revoked';
    const lineage = this.#live(parentGrantId);
    if (!lineage.has(child) && lineage.size >= max) return 'full';
    lineage.set(child, Math.max(lineage.get(child) ?? 0, this.#now() + ttlSeconds * 1000));
    this.#children.set(parentGrantId, lineage);
    return 'added';
  }

  /** A grant's children that have not expired. */
  #live(parentGrantId: string): Map<Child, number> {
    const lineage = this.#children.get(parentGrantId) ?? new Map<Child, number>();
    for (const [child, expiresAt] of lineage) {
      if (expiresAt <= this.#now()) lineage.delete(child);
    }
    return lineage;
  }

  #prune(): void {
    const now = this.#now();
    for (const entries of [this.#entries, this.#sessions, this.#issued, this.#revoked, this.#actors, this.#metadata, this.#devices, this.#deviceGrants]) {
      for (const [key, { expiresAt }] of entries) {
        if (expiresAt <= now) entries.delete(key);
      }
    }
    for (const parentGrantId of this.#children.keys()) {
      if (this.#live(parentGrantId).size === 0) this.#children.delete(parentGrantId);
    }
  }
}
