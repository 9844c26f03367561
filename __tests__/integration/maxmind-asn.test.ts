import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { copyFile, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import request from 'supertest';

import { MaxMindAsnResolver, type RejectedEvent } from '../../lib/index.js';
import { ASN_FIXTURE } from '../helpers/asn-fixture.js';
import { redisClient, testIdentityProvider } from '../helpers/idp.js';
import { authorize, mintToken } from '../helpers/web-login.js';

/** The database with "Google Inc." renamed in place (same length, so the file stays valid). */
async function renamedCopy(path: string): Promise<void> {
  const data = await readFile(ASN_FIXTURE);
  const at = data.indexOf('Google Inc.');
  data.write('Googlf Inc.', at);
  await writeFile(path, data);
}

describe('MaxMindAsnResolver', () => {
  it('looks up ASNs in the test database', async () => {
    const resolver = new MaxMindAsnResolver(await readFile(ASN_FIXTURE));
    expect(resolver.lookup('12.81.92.5')).toEqual({ asn: 7018, organization: 'AT&T Services' });
    expect(resolver.lookup('12.81.128.1')).toEqual({ asn: 7018 });
    expect(resolver.lookup('1.0.0.1')).toEqual({ asn: 15169, organization: 'Google Inc.' });
    expect(resolver.lookup('::ffff:1.0.0.1')).toEqual({ asn: 15169, organization: 'Google Inc.' });
    expect(resolver.lookup('1.128.0.1')).toMatchObject({ asn: 1221 });
    expect(resolver.lookup('2600:6000::1')).toMatchObject({ asn: 237 });
    expect(resolver.lookup('8.8.8.8')).toBeNull();
    expect(resolver.lookup('not an ip')).toBeNull();
  });

  it('refuses a buffer that is not a database', () => {
    expect(() => new MaxMindAsnResolver(Buffer.from('nothing here'))).toThrow();
  });

  it('reloads a changed file, and keeps the loaded database when the new file is broken', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'asn-')), 'asn.mmdb');
    await copyFile(ASN_FIXTURE, path);
    const resolver = await MaxMindAsnResolver.open(path, { watch: false });
    await renamedCopy(path);
    await resolver.reload();
    expect(resolver.lookup('1.0.0.1')).toEqual({ asn: 15169, organization: 'Googlf Inc.' });

    await writeFile(path, 'truncated download');
    await expect(resolver.reload()).rejects.toThrow();
    expect(resolver.lookup('1.0.0.1')).toMatchObject({ asn: 15169 });
  });

  it('follows the file when watching', async () => {
    const path = join(await mkdtemp(join(tmpdir(), 'asn-')), 'asn.mmdb');
    await copyFile(ASN_FIXTURE, path);
    const resolver = await MaxMindAsnResolver.open(path, { watchInterval: 50 });
    try {
      await sleep(100);
      await renamedCopy(path);
      for (let i = 0; i < 60 && resolver.lookup('1.0.0.1')?.organization !== 'Googlf Inc.'; i += 1) await sleep(50);
      expect(resolver.lookup('1.0.0.1')?.organization).toBe('Googlf Inc.');
    } finally {
      resolver.close();
    }
  });
});

describe('asn binding with the test database', () => {
  let redis: ReturnType<typeof redisClient>;
  beforeAll(() => {
    redis = redisClient();
  });
  afterAll(async () => {
    await redis.quit();
  });

  it('accepts the same ASN, rejects a different or unknown one', async () => {
    const idp = testIdentityProvider({
      redis, keyPrefix: 'maxmind:', trustProxy: 1, asnResolver: new MaxMindAsnResolver(await readFile(ASN_FIXTURE)),
    });
    const rejected: RejectedEvent[] = [];
    idp.transfer.on('rejected', (e) => rejected.push(e));
    const redeemFrom = async (mintIp: string, redeemIp: string) => {
      const { token } = await mintToken(idp.app, {}, { 'x-forwarded-for': mintIp });
      return authorize(request.agent(idp.app).set('x-forwarded-for', redeemIp), idp.provider, { clientId: 'asn-web', token, prompt: 'none' });
    };

    expect((await redeemFrom('12.81.92.5', '12.81.128.1')).kind).toBe('code');
    expect(await redeemFrom('1.0.0.1', '1.128.0.1')).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'device_mismatch', asn: 1221, binding: { rule: 'asn', expected: 15169, actual: 1221 } });
    expect(await redeemFrom('8.8.8.8', '8.8.8.8')).toMatchObject({ kind: 'error', error: 'login_required' });
    expect(rejected.at(-1)).toMatchObject({ reason: 'device_mismatch', binding: { rule: 'asn' } });
  });
});
