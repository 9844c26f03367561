import { readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import type { DeviceCredentials } from './app.js';

/**
 * Where the simulator's apps share their device credentials unless told (`--keychain PATH` or
 * `NATIVE_KEYCHAIN`): a file in the OS temp dir, standing in for the shared keychain (iOS keychain
 * access group, Android account manager) of Native SSO 1.0 §3.2.
 */
export const DEFAULT_KEYCHAIN = join(tmpdir(), 'oidc-session-transfer-native-keychain.json');

/** What the first app keeps: the device credentials, for one provider and user. */
export interface KeychainEntry extends DeviceCredentials {
  issuer: string;
  /** Who signed in (shown by the second app; the provider reads the user from the ID token). */
  user: string;
}

/** A keychain file, readable by this user only (the device secret signs apps in). */
export class SharedKeychain {
  readonly path: string;

  constructor(path: string = DEFAULT_KEYCHAIN) {
    this.path = path;
  }

  async save(entry: KeychainEntry): Promise<void> {
    await writeFile(this.path, `${JSON.stringify(entry, null, 2)}\n`, { mode: 0o600 });
  }

  /** The entry for `issuer`, or undefined when there is none (or it is another provider's). */
  async load(issuer: string): Promise<KeychainEntry | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    const entry = JSON.parse(text) as Partial<KeychainEntry>;
    if (entry.issuer !== issuer || typeof entry.id_token !== 'string' || typeof entry.device_secret !== 'string') return undefined;
    return entry as KeychainEntry;
  }

  async clear(): Promise<void> {
    await rm(this.path, { force: true });
  }
}
