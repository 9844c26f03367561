import {
  decodeRecord, encodeRecord, sessionRecordTtl, type Child, type TransferredSession, type TransferRecord, type TransferStore,
} from './store.js';

let warned = false;

/**
 * Tokens in this process's memory, for development and the example. It cannot be shared by two
 * processes and loses every token on restart, so it warns once when first created.
 */
export class MemoryStore implements TransferStore {
  readonly #entries = new Map<string, { json: string; expiresAt: number }>();
  readonly #sessions = new Map<string, { json: string; expiresAt: number }>();
  readonly #children = new Map<string, { members: Set<Child>; expiresAt: number }>();
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
    // Stored as JSON so a caller can never mutate a kept record, as with Redis.
    this.#entries.set(tokenHash, { json: encodeRecord(record), expiresAt: this.#now() + ttlSeconds * 1000 });
  }

  async consume(tokenHash: string): Promise<TransferRecord | undefined> {
    const entry = this.#entries.get(tokenHash);
    this.#entries.delete(tokenHash);
    if (!entry || entry.expiresAt <= this.#now()) return undefined;
    return decodeRecord(entry.json);
  }

  async saveSession(uid: string, session: TransferredSession, ttlSeconds: number): Promise<void> {
    this.#prune();
    this.#sessions.set(uid, { json: JSON.stringify(session), expiresAt: this.#now() + sessionRecordTtl(session, ttlSeconds) * 1000 });
  }

  async touchSession(uid: string): Promise<TransferredSession | undefined> {
    const entry = this.#sessions.get(uid);
    if (!entry || entry.expiresAt <= this.#now()) {
      this.#sessions.delete(uid);
      return undefined;
    }
    const session = JSON.parse(entry.json) as TransferredSession;
    if (session.idle) entry.expiresAt = this.#now() + session.idle * 1000;
    return session;
  }

  async addChild(parentGrantId: string, child: Child, ttlSeconds: number): Promise<void> {
    const expiresAt = this.#now() + ttlSeconds * 1000;
    const entry = this.#live(parentGrantId) ?? { members: new Set<Child>(), expiresAt };
    entry.members.add(child);
    entry.expiresAt = Math.max(entry.expiresAt, expiresAt);
    this.#children.set(parentGrantId, entry);
  }

  async children(parentGrantId: string): Promise<Child[]> {
    return [...(this.#live(parentGrantId)?.members ?? [])];
  }

  async removeChildren(parentGrantId: string, children: Child[]): Promise<void> {
    const entry = this.#live(parentGrantId);
    for (const child of children) entry?.members.delete(child);
    if (entry?.members.size === 0) this.#children.delete(parentGrantId);
  }

  #live(parentGrantId: string) {
    const entry = this.#children.get(parentGrantId);
    if (entry && entry.expiresAt <= this.#now()) this.#children.delete(parentGrantId);
    return entry && entry.expiresAt > this.#now() ? entry : undefined;
  }

  #prune(): void {
    const now = this.#now();
    for (const entries of [this.#entries, this.#sessions, this.#children]) {
      for (const [key, { expiresAt }] of entries) {
        if (expiresAt <= now) entries.delete(key);
      }
    }
  }
}
