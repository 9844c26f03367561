import { afterAll, describe, expect, it } from '@jest/globals';

import { RedisAdapter } from '../../lib/index.js';
import { redisClient } from '../helpers/idp.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

const PREFIX = 'adapter-test:';
const adapter = (model: string) => new RedisAdapter(model, { client: redis, prefix: PREFIX });
let counter = 0;
const id = () => `id-${Date.now()}-${counter += 1}`;

const MODELS = [
  'Grant', 'Session', 'AccessToken', 'AuthorizationCode', 'RefreshToken', 'ClientCredentials', 'Client', 'InitialAccessToken',
  'RegistrationAccessToken', 'DeviceCode', 'Interaction', 'ReplayDetection', 'BackchannelAuthenticationRequest',
  'PreAuthorizedCode', 'PushedAuthorizationRequest',
];
const GRANTABLE = ['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest', 'PreAuthorizedCode'];

describe.each(MODELS)('RedisAdapter(%s)', (model) => {
  it('upserts with the TTL, finds, and destroys', async () => {
    const a = adapter(model);
    const key = id();
    await a.upsert(key, { jti: key, kind: model, iat: 1 }, 120);
    expect(await a.find(key)).toEqual({ jti: key, kind: model, iat: 1 });
    const ttl = await redis.ttl(a.key(key));
    expect(ttl).toBeGreaterThan(110);
    expect(ttl).toBeLessThanOrEqual(120);
    await a.upsert(key, { jti: key, kind: model, iat: 2 }, 60);
    expect(await a.find(key)).toMatchObject({ iat: 2 });
    expect(await redis.ttl(a.key(key))).toBeLessThanOrEqual(60);
    await a.destroy(key);
    expect(await a.find(key)).toBeUndefined();
    expect(await redis.exists(a.key(key))).toBe(0);
  });

  it('consumes an entry without extending its lifetime, and creates nothing for a missing one', async () => {
    const a = adapter(model);
    const key = id();
    await a.upsert(key, { jti: key }, 100);
    await redis.expire(a.key(key), 50);
    await a.consume(key);
    expect(await a.find(key)).toEqual({ jti: key, consumed: expect.any(Number) });
    expect(await redis.ttl(a.key(key))).toBeLessThanOrEqual(50);

    const missing = id();
    await a.consume(missing);
    expect(await redis.exists(a.key(missing))).toBe(0);
    expect(await a.find(missing)).toBeUndefined();
  });

  it('finds nothing by an unknown uid or user code', async () => {
    expect(await adapter(model).findByUid('no-such-uid')).toBeUndefined();
    expect(await adapter(model).findByUserCode('NO-SUCH-CODE')).toBeUndefined();
  });
});

describe.each(GRANTABLE)('RedisAdapter(%s) grant index', (model) => {
  it('revokeByGrantId removes every member of the grant, of every model, and only those', async () => {
    const grantId = id();
    const mine = [id(), id()];
    const other = id();
    await adapter(model).upsert(mine[0]!, { grantId }, 100);
    await adapter('AccessToken').upsert(mine[1]!, { grantId }, 100);
    await adapter(model).upsert(other, { grantId: id() }, 100);

    await adapter(model).revokeByGrantId(grantId);
    expect(await adapter(model).find(mine[0]!)).toBeUndefined();
    expect(await adapter('AccessToken').find(mine[1]!)).toBeUndefined();
    expect(await adapter(model).find(other)).toEqual({ grantId: expect.any(String) });
    expect(await redis.exists(`${PREFIX}grant:{${grantId}}`)).toBe(0);
  });
});

describe('RedisAdapter scripts', () => {
  it('run by SHA, and are sent again when Redis has forgotten them (SCRIPT FLUSH)', async () => {
    const a = adapter('RefreshToken');
    const key = id();
    await a.upsert(key, { jti: key }, 100);
    await redis.script('FLUSH');
    await a.consume(key);
    expect(await a.find(key)).toMatchObject({ consumed: expect.any(Number) });
  });
});

describe('RedisAdapter secondary indexes', () => {
  it('keeps a grant index bounded: expired members are pruned, destroyed ones removed', async () => {
    const grantId = id();
    const index = `${PREFIX}grant:{${grantId}}`;
    const a = adapter('RefreshToken');
    const [short, long, gone] = [id(), id(), id()];
    await a.upsert(short, { grantId }, 1);
    await a.upsert(long, { grantId }, 300);
    await a.upsert(gone, { grantId }, 300);
    await a.destroy(gone);
    expect(await redis.zcard(index)).toBe(2);
    await new Promise((resolve) => setTimeout(resolve, 2100));
    await a.upsert(id(), { grantId }, 300);
    expect(await redis.zrange(index, '0', '-1')).not.toContain(a.key(short));
    expect(await redis.zcard(index)).toBe(2);
    const ttl = await redis.ttl(index);
    expect(ttl).toBeGreaterThan(290);
  });

  it('finds a session by uid, and destroying an old session id keeps the index of the new one', async () => {
    const sessions = adapter('Session');
    const uid = id();
    const [oldId, newId] = [id(), id()];
    await sessions.upsert(oldId, { jti: oldId, uid }, 100);
    expect(await sessions.findByUid(uid)).toMatchObject({ jti: oldId });
    // oidc-provider's resetIdentifier: the new id is saved, then (or before) the old one destroyed.
    await sessions.upsert(newId, { jti: newId, uid }, 100);
    await sessions.destroy(oldId);
    expect(await sessions.findByUid(uid)).toMatchObject({ jti: newId });
    await sessions.destroy(newId);
    expect(await sessions.findByUid(uid)).toBeUndefined();
    expect(await redis.exists(`${PREFIX}sessionUid:{${uid}}`)).toBe(0);
  });

  it('finds a device code by user code, until it is destroyed', async () => {
    const codes = adapter('DeviceCode');
    const key = id();
    await codes.upsert(key, { jti: key, userCode: 'ABCD-EFGH', grantId: id() }, 100);
    expect(await codes.findByUserCode('ABCD-EFGH')).toMatchObject({ jti: key });
    expect(await redis.ttl(`${PREFIX}userCode:{ABCD-EFGH}`)).toBeGreaterThan(90);
    await codes.destroy(key);
    expect(await codes.findByUserCode('ABCD-EFGH')).toBeUndefined();
  });
});
