import type { TransferRecord } from './store.js';

/**
 * A token's record in binary, for Redis: one is kept per outstanding token, so its size is the
 * store's memory. About 130 bytes for a typical record (JSON took about 300), which keeps Redis
 * under 300 B per outstanding token with the key and Redis's own overhead.
 *
 * Layout: version byte; the parent grant id (2-byte length, then packed) first, so the consume
 * script can copy it into the replay marker without decoding the rest; a flags byte for the
 * optional fields; then the fields, strings as varint length + UTF-8. Changing it means a new
 * version byte: records of another version read as absent (tokens live at most 300 s).
 */
const VERSION = 1;
const FLAGS = { authTime: 1, amr: 2, acr: 4, audience: 8, asn: 16, userAgent: 32, actor: 64, parent: 128 } as const;
/** Scope values common enough to be stored as one byte each (their index + 1); 0 = spelled out. */
const SCOPES = ['openid', 'offline_access', 'profile', 'email', 'phone', 'address'];
const BASE64URL = /^[A-Za-z0-9_-]*$/;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

class Writer {
  readonly #bytes: number[] = [];

  byte(value: number): this {
    this.#bytes.push(value & 0xff);
    return this;
  }

  varint(value: number): this {
    let rest = value;
    while (rest >= 0x80) {
      this.#bytes.push((rest % 0x80) | 0x80);
      rest = Math.floor(rest / 0x80);
    }
    this.#bytes.push(rest);
    return this;
  }

  /** A signed integer, zigzag-encoded. */
  signed(value: number): this {
    return this.varint(value >= 0 ? value * 2 : -value * 2 - 1);
  }

  raw(bytes: Uint8Array): this {
    for (const b of bytes) this.#bytes.push(b);
    return this;
  }

  string(value: string): this {
    const bytes = Buffer.from(value, 'utf8');
    return this.varint(bytes.length).raw(bytes);
  }

  strings(values: string[]): this {
    this.varint(values.length);
    for (const value of values) this.string(value);
    return this;
  }

  buffer(): Buffer {
    return Buffer.from(this.#bytes);
  }
}

class Reader {
  #at: number;
  readonly #bytes: Buffer;

  constructor(bytes: Buffer, at = 0) {
    this.#bytes = bytes;
    this.#at = at;
  }

  byte(): number {
    if (this.#at >= this.#bytes.length) throw new RangeError('truncated record');
    return this.#bytes[this.#at++]!;
  }

  varint(): number {
    let value = 0;
    for (let scale = 1; ; scale *= 0x80) {
      const b = this.byte();
      value += (b & 0x7f) * scale;
      if (b < 0x80) return value;
    }
  }

  signed(): number {
    const zigzag = this.varint();
    return zigzag % 2 === 0 ? zigzag / 2 : -(zigzag + 1) / 2;
  }

  raw(length: number): Buffer {
    if (this.#at + length > this.#bytes.length) throw new RangeError('truncated record');
    const bytes = this.#bytes.subarray(this.#at, this.#at + length);
    this.#at += length;
    return bytes;
  }

  rest(): Buffer {
    return this.raw(this.#bytes.length - this.#at);
  }

  string(): string {
    return this.raw(this.varint()).toString('utf8');
  }

  strings(): string[] {
    return Array.from({ length: this.varint() }, () => this.string());
  }
}

/** An id of URL-safe base64 characters (oidc-provider's are 43 of them) packed 4 characters to 3 bytes. */
function packId(id: string): Buffer {
  const packable = BASE64URL.test(id) ? id.length - (id.length % 4) : 0;
  const packed = Buffer.from(id.slice(0, packable), 'base64url');
  return new Writer().varint(packable / 4).raw(packed).raw(Buffer.from(id.slice(packable), 'utf8')).buffer();
}

function unpackId(bytes: Buffer): string {
  const reader = new Reader(bytes);
  const groups = reader.varint();
  return reader.raw(groups * 3).toString('base64url') + reader.rest().toString('utf8');
}

function writeScope(writer: Writer, scope: string): void {
  const words = scope.split(' ');
  writer.varint(words.length);
  for (const word of words) {
    const known = SCOPES.indexOf(word);
    if (known >= 0) writer.byte(known + 1);
    else writer.byte(0).string(word);
  }
}

function readScope(reader: Reader): string {
  return Array.from({ length: reader.varint() }, () => {
    const known = reader.byte();
    return known ? SCOPES[known - 1]! : reader.string();
  }).join(' ');
}

export function encodeRecord(record: TransferRecord): Buffer {
  const grant = packId(record.grantId);
  const writer = new Writer().byte(VERSION).byte(grant.length >> 8).byte(grant.length).raw(grant);
  const flags = (record.authTime !== undefined ? FLAGS.authTime : 0) | (record.amr ? FLAGS.amr : 0)
    | (record.acr !== undefined ? FLAGS.acr : 0) | (record.audience ? FLAGS.audience : 0)
    | (record.asn !== undefined ? FLAGS.asn : 0) | (record.userAgent !== undefined ? FLAGS.userAgent : 0)
    | (record.actor !== undefined ? FLAGS.actor : 0) | (record.parentRefreshToken ? FLAGS.parent : 0);
  writer.byte(flags).string(record.accountId).string(record.clientId);
  writeScope(writer, record.scope);
  writer.varint(record.iat).signed(record.exp - record.iat);
  if (record.authTime !== undefined) writer.signed(record.iat - record.authTime);
  if (record.amr) writer.strings(record.amr);
  if (record.acr !== undefined) writer.string(record.acr);
  if (record.audience) writer.strings(record.audience);
  // An IPv4 address in dotted-quad form as its 4 bytes; anything else as text.
  if (IPV4.test(record.ip)) writer.byte(4).raw(Uint8Array.from(record.ip.split('.').map(Number)));
  else writer.byte(0).string(record.ip);
  if (record.asn !== undefined) writer.varint(record.asn);
  if (record.userAgent !== undefined) writer.string(record.userAgent);
  if (record.actor !== undefined) writer.string(record.actor);
  // Rare and free-form (the host's metadata): JSON.
  if (record.parentRefreshToken) writer.string(JSON.stringify(record.parentRefreshToken));
  return writer.buffer();
}

/**
 * A replay marker as the consume script leaves it — `!`, the record's head (2-byte length, the
 * packed parent grant id), the consumer — read as `consume()` reports it. One it cannot read (left
 * by another version) is still a replay, of an unknown grant (`replayed: ''`).
 */
export function decodeReplayMarker(marker: Buffer): { replayed: string; by: string } {
  const end = 3 + (marker[1] ?? 0) * 256 + (marker[2] ?? 0);
  try {
    if (end > marker.length) throw new RangeError('truncated marker');
    return { replayed: unpackId(marker.subarray(3, end)), by: marker.subarray(end).toString('utf8') };
  } catch {
    return { replayed: '', by: '' };
  }
}

/** Reads a record written by `encodeRecord`; undefined for none, or one of another version. */
export function decodeRecord(bytes: Buffer | null | undefined): TransferRecord | undefined {
  if (!bytes || bytes[0] !== VERSION) return undefined;
  const reader = new Reader(bytes, 1);
  const grantLength = reader.byte() * 256 + reader.byte();
  const grantId = unpackId(reader.raw(grantLength));
  const flags = reader.byte();
  const accountId = reader.string();
  const clientId = reader.string();
  const scope = readScope(reader);
  const iat = reader.varint();
  const exp = iat + reader.signed();
  const authTime = flags & FLAGS.authTime ? iat - reader.signed() : undefined;
  const amr = flags & FLAGS.amr ? reader.strings() : undefined;
  const acr = flags & FLAGS.acr ? reader.string() : undefined;
  const audience = flags & FLAGS.audience ? reader.strings() : undefined;
  const ip = reader.byte() === 4 ? [...reader.raw(4)].join('.') : reader.string();
  const asn = flags & FLAGS.asn ? reader.varint() : undefined;
  const userAgent = flags & FLAGS.userAgent ? reader.string() : undefined;
  const actor = flags & FLAGS.actor ? reader.string() : undefined;
  const parentRefreshToken = flags & FLAGS.parent ? JSON.parse(reader.string()) as TransferRecord['parentRefreshToken'] : undefined;
  const record: TransferRecord = { accountId, clientId, grantId, scope, ip, iat, exp };
  return Object.assign(record,
    authTime !== undefined ? { authTime } : {}, amr ? { amr } : {}, acr !== undefined ? { acr } : {},
    audience ? { audience } : {}, asn !== undefined ? { asn } : {}, userAgent !== undefined ? { userAgent } : {},
    actor !== undefined ? { actor } : {}, parentRefreshToken ? { parentRefreshToken } : {});
}
