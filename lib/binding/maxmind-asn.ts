import { readFile } from 'node:fs/promises';
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import { isIP } from 'node:net';

import { Reader, type AsnResponse } from 'maxmind';

import { debug } from '../debug.js';
import type { AsnInfo, AsnResolver } from './asn.js';
import { normalizeIp } from './ip.js';

/** @category Device binding */
export interface MaxMindAsnOptions {
  /**
   * Reload the database when the file changes (polled every `watchInterval` ms), so a refreshed
   * download takes effect without a restart. Default true.
   */
  watch?: boolean;
  watchInterval?: number;
}

function reader(database: Buffer, source: string): Reader<AsnResponse> {
  const loaded = new Reader<AsnResponse>(database);
  if (!/ASN/i.test(loaded.metadata.databaseType)) {
    throw new TypeError(`${source} is a ${loaded.metadata.databaseType} database, not an ASN database`);
  }
  return loaded;
}

/**
 * ASN lookups in a MaxMind-format database (GeoLite2-ASN, DB-IP ASN Lite), read into memory.
 * Build it from a buffer, or with `open(path)` to follow updates of the file.
 * @category Device binding
 */
export class MaxMindAsnResolver implements AsnResolver {
  #reader: Reader<AsnResponse>;
  #path: string | undefined;
  #listener: ((current: Stats, previous: Stats) => void) | undefined;

  /** @param database the contents of an `.mmdb` ASN database. */
  constructor(database: Buffer) {
    this.#reader = reader(database, 'the buffer');
  }

  /** Reads the database at `path` (and, unless `watch: false`, reloads it when the file changes). */
  static async open(path: string, { watch = true, watchInterval = 60_000 }: MaxMindAsnOptions = {}): Promise<MaxMindAsnResolver> {
    const resolver = new MaxMindAsnResolver(await readFile(path));
    resolver.#path = path;
    if (watch) {
      resolver.#listener = (current, previous) => {
        if (current.mtimeMs === previous.mtimeMs && current.size === previous.size) return;
        resolver.reload().catch((err: unknown) => debug('asn database reload failed, keeping the loaded one: %O', err));
      };
      watchFile(path, { persistent: false, interval: watchInterval }, resolver.#listener);
    }
    return resolver;
  }

  /**
   * Reads the file again. A file that is not a valid ASN database is refused and the loaded
   * one stays in use: a bad download never empties the lookups.
   */
  async reload(): Promise<void> {
    if (!this.#path) throw new TypeError('reload() needs a resolver made with MaxMindAsnResolver.open(path)');
    this.#reader = reader(await readFile(this.#path), this.#path);
  }

  /** Stops following the file. */
  close(): void {
    if (this.#path && this.#listener) unwatchFile(this.#path, this.#listener);
    this.#listener = undefined;
  }

  lookup(ip: string): AsnInfo | null {
    const address = normalizeIp(ip);
    if (!isIP(address)) return null;
    const found = this.#reader.get(address);
    if (!found?.autonomous_system_number) return null;
    return {
      asn: found.autonomous_system_number,
      ...(found.autonomous_system_organization ? { organization: found.autonomous_system_organization } : {}),
    };
  }
}
