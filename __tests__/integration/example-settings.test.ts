/**
 * `npm start`'s settings for trying it as a test bed: TRUST_PROXY behind a TLS-terminating proxy,
 * SPA_URL for example-spa, CLIENTS_FILE for clients of one's own, the Redis topology (REDIS_URL,
 * REDIS_SENTINELS, REDIS_CLUSTER), and the one-line refusal of each value it cannot use. Each
 * case is `examples/start.ts` run as a separate process, but for the parsing of the Redis settings.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import request from 'supertest';

import { authorizeWithToken, exampleNativeToken, exchangeFrom, idTokenClaims } from '../helpers/example-transfer.js';
import { startIdpProcess, type IdpProcess } from '../helpers/idp-process.js';
import { readSettings, SettingError } from '../../examples/settings.js';

const ISSUER = 'https://id.example.test/';
/** What a TLS-terminating proxy adds to the requests it forwards for https://id.example.test (from a client at 203.0.113.7). */
const PROXIED = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'id.example.test', 'x-forwarded-for': '203.0.113.7' };

/** A client of one's own, as CLIENTS_FILE brings it: a public SPA that accepts tokens by query. */
const fileSpa = {
  client_id: 'file-spa',
  application_type: 'web',
  token_endpoint_auth_method: 'none',
  redirect_uris: ['http://localhost:4300/callback'],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  is_first_party: true,
  session_transfer: { allowed_authentication_methods: ['query'], enforce_device_binding: 'ip' },
};

let dir: string;
/** Writes `content` (JSON unless a string) to a file of the test's directory; its path. */
async function file(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

/** Without REDIS_URL (the tests' own Redis is in the environment): the in-process stores. */
const startWith = (env: Record<string, string>) => startIdpProcess({ REDIS_URL: '', ...env });

const discovery = (idp: IdpProcess) => request(idp.url).get('/.well-known/openid-configuration');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'example-settings-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('ISSUER=https://id.example.test/ TRUST_PROXY=1 SPA_URL=https://spa.example.test/app/ CLIENTS_FILE=…', () => {
  let idp: IdpProcess;

  beforeAll(async () => {
    idp = await startWith({ ISSUER, TRUST_PROXY: '1', SPA_URL: 'https://spa.example.test/app/', CLIENTS_FILE: await file('clients.json', [fileSpa]) });
  }, 30_000);

  afterAll(async () => {
    await idp?.stop();
  });

  it('advertises the https endpoints the proxy reports in discovery', async () => {
    const res = await discovery(idp).set(PROXIED);
    expect(res.body).toMatchObject({
      issuer: ISSUER,
      authorization_endpoint: 'https://id.example.test/authorize',
      token_endpoint: 'https://id.example.test/oauth/token',
      jwks_uri: 'https://id.example.test/.well-known/jwks.json',
    });
    expect(idp.output()).toContain('trusted proxies: 1');
  });

  it('sets Secure cookies on a request the proxy received over https', async () => {
    const res = await request(idp.url).get(`/authorize?${new URLSearchParams({
      client_id: 'example-spa', response_type: 'code', redirect_uri: 'https://spa.example.test/app/', scope: 'openid',
      code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM', code_challenge_method: 'S256',
    })}`).set(PROXIED);
    expect(res.headers.location).toMatch(/^\/interaction\//);
    const cookies = res.headers['set-cookie'] as unknown as string[];
    expect(cookies.length).toBeGreaterThan(0);
    for (const cookie of cookies) expect(cookie).toMatch(/; secure/);
  });

  it('signs a client of CLIENTS_FILE in from a token minted for example-native', async () => {
    const app = { clientId: 'file-spa', redirectUri: 'http://localhost:4300/callback' };
    const authorized = await authorizeWithToken(idp.url, await exampleNativeToken(idp.url, ISSUER), app);
    const exchange = await exchangeFrom(idp.url, 'http://localhost:4300', app, authorized);
    expect(exchange.status).toBe(200);
    expect(exchange.headers['access-control-allow-origin']).toBe('http://localhost:4300');
    expect(idTokenClaims(exchange.body.id_token)).toMatchObject({ iss: ISSUER, sub: 'demo', aud: 'file-spa', amr: ['pwd', 'session_transfer'] });
    expect(idp.output()).toContain('clients from');
  });

  it('gives example-spa the redirect URI and CORS origin of SPA_URL, not the default', async () => {
    const spa = { clientId: 'example-spa', redirectUri: 'https://spa.example.test/app/' };
    const authorized = await authorizeWithToken(idp.url, await exampleNativeToken(idp.url, ISSUER), spa);
    const exchange = await exchangeFrom(idp.url, 'https://spa.example.test', spa, authorized);
    expect(exchange.status).toBe(200);
    expect(exchange.headers['access-control-allow-origin']).toBe('https://spa.example.test');

    const defaultUri = await request(idp.url).get(`/authorize?${new URLSearchParams({
      client_id: 'example-spa', response_type: 'code', redirect_uri: 'http://localhost:3002/', scope: 'openid',
    })}`);
    expect(defaultUri.status).toBe(400);
    expect(defaultUri.text).toContain('redirect_uri did not match');
  });
});

it('TRUST_PROXY=<CIDR ranges> believes a proxy within them (here the loopback one)', async () => {
  const idp = await startWith({ ISSUER, TRUST_PROXY: '10.0.0.0/8, 127.0.0.1/32' });
  try {
    expect((await discovery(idp).set(PROXIED)).body.token_endpoint).toBe('https://id.example.test/oauth/token');
  } finally {
    await idp.stop();
  }
}, 30_000);

interface Refusal {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `npm start`'s program with `env` until it exits (killed, and reported, if it is still running after 30 s). */
async function refusal(env: Record<string, string>): Promise<Refusal> {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, PORT: '0', WEB_PORT: '0', REDIS_URL: '', ...env };
  delete childEnv.NODE_OPTIONS;
  const child = spawn(process.execPath, ['--import', 'tsx', 'examples/start.ts'], { env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk) => { stdout += chunk; });
  child.stderr.on('data', (chunk) => { stderr += chunk; });
  const hang = setTimeout(() => child.kill('SIGKILL'), 30_000);
  // 'close', not 'exit': on a busy machine the line may still be in the pipe when the process exits.
  const [code] = await once(child, 'close') as [number | null];
  clearTimeout(hang);
  return { code, stdout, stderr };
}

/** Lines Node, oidc-provider and the library print at every start, around what the example says. */
const ROUTINE = /^\(node:\d+\) |^\(Use `node --trace-warnings|^oidc-provider (WARNING|NOTICE):|^oidc-session-transfer: attached to /;

describe('a value npm start cannot use stops it with one line naming it, exit status 1, no stack trace', () => {
  const cases: [string, () => Promise<Record<string, string>>, RegExp][] = [
    ['TRUST_PROXY=0', async () => ({ TRUST_PROXY: '0' }),
      /^TRUST_PROXY=0 cannot be used \(options\.trustProxy must be an integer from 1 to 10\): use false .*a hop count \(TRUST_PROXY=1\) or comma-separated CIDR ranges/],
    ['TRUST_PROXY=yes', async () => ({ TRUST_PROXY: 'yes' }), /^TRUST_PROXY=yes cannot be used \(.*"yes" is not an IP address or CIDR range\): use false/],
    ['SPA_URL not a URL', async () => ({ SPA_URL: 'localhost:3002' }), /^SPA_URL=localhost:3002 is not an http\(s\) URL/],
    ['CLIENTS_FILE missing', async () => ({ CLIENTS_FILE: join(dir, 'missing.json') }), /^CLIENTS_FILE=\S+missing\.json cannot be read \(ENOENT/],
    ['CLIENTS_FILE not JSON', async () => ({ CLIENTS_FILE: await file('not-json.json', '[{ client_id: "a" }]') }),
      /^CLIENTS_FILE=\S+not-json\.json is not JSON \(/],
    ['CLIENTS_FILE not an array', async () => ({ CLIENTS_FILE: await file('object.json', fileSpa) }),
      /^CLIENTS_FILE=\S+object\.json must hold a JSON array of client metadata objects, not an object$/],
    ['an entry without client_id', async () => ({ CLIENTS_FILE: await file('no-id.json', [fileSpa, { redirect_uris: ['https://a.example/cb'] }]) }),
      /^CLIENTS_FILE=\S+no-id\.json entry 2 has no client_id$/],
    ['a built-in client_id', async () => ({ CLIENTS_FILE: await file('built-in.json', [{ ...fileSpa, client_id: 'example-spa' }]) }),
      /^CLIENTS_FILE=\S+built-in\.json entry 1: client_id "example-spa" is one of the example's own clients \(example-native, example-native-second, example-web, example-spa, support-console\): choose another$/],
    ['a client_id twice', async () => ({ CLIENTS_FILE: await file('twice.json', [fileSpa, { client_id: 'other' }, fileSpa]) }),
      /^CLIENTS_FILE=\S+twice\.json entry 3: client_id "file-spa" is entry 1's already$/],
    ['session_transfer settings the library refuses', async () => ({
      CLIENTS_FILE: await file('settings.json', [fileSpa, { ...fileSpa, client_id: 'bad-binding', session_transfer: { enforce_device_binding: 'fingerprint' } }]),
    }), /^CLIENTS_FILE=\S+settings\.json entry 2: client "bad-binding": session_transfer\.enforce_device_binding must be one of/],
    ['metadata oidc-provider refuses', async () => ({ CLIENTS_FILE: await file('metadata.json', [{ ...fileSpa, redirect_uris: [] }]) }),
      /^CLIENTS_FILE=\S+metadata\.json entry 1: client "file-spa": redirect_uris must contain members$/],
    ['two Redis topologies', async () => ({ REDIS_URL: 'redis://127.0.0.1:6379', REDIS_CLUSTER: '127.0.0.1:7000' }),
      /^REDIS_URL and REDIS_CLUSTER are set together: set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER/],
    ['REDIS_SENTINELS not host:port', async () => ({ REDIS_SENTINELS: '127.0.0.1:26379,127.0.0.1' }),
      /^REDIS_SENTINELS=127\.0\.0\.1:26379,127\.0\.0\.1: "127\.0\.0\.1" is not host:port: use comma-separated host:port pairs/],
  ];
  const results = new Map<string, Refusal>();

  beforeAll(async () => {
    // All at once: each is a process start, mostly waiting on module loading.
    await Promise.all(cases.map(async ([name, env]) => { results.set(name, await refusal(await env())); }));
  }, 60_000);

  it.each(cases)('%s', (name, _env, line) => {
    const { code, stdout, stderr } = results.get(name)!;
    const said = stderr.split('\n').filter((text) => text && !ROUTINE.test(text));
    expect({ code, said }).toEqual({ code: 1, said: [expect.stringMatching(line)] });
    expect(stdout + stderr).not.toMatch(/^\s+at /m);
    expect(stdout).not.toContain('identity provider:');
  });
});

describe('the Redis settings: REDIS_URL, REDIS_SENTINELS with REDIS_SENTINEL_NAME, REDIS_CLUSTER, REDIS_REPLICA_ACKS', () => {
  const redisOf = (env: Record<string, string>) => {
    const { redis, replicaAcks } = readSettings(env);
    return { redis, replicaAcks };
  };

  it('takes none of them as the in-process stores, and an empty one as unset', () => {
    expect(redisOf({})).toEqual({ redis: undefined, replicaAcks: undefined });
    expect(redisOf({ REDIS_URL: '', REDIS_SENTINELS: '', REDIS_CLUSTER: '' })).toEqual({ redis: undefined, replicaAcks: undefined });
  });

  it('takes REDIS_URL as one server', () => {
    expect(redisOf({ REDIS_URL: 'redis://127.0.0.1:6379' }).redis).toEqual({ topology: 'url', url: 'redis://127.0.0.1:6379' });
  });

  it('takes REDIS_SENTINELS as host:port pairs (names, IPv4, bracketed IPv6; spaces around commas), for the master mymaster unless REDIS_SENTINEL_NAME names another', () => {
    const sentinels = [{ host: 's1.example', port: 26379 }, { host: '10.0.0.2', port: 26380 }, { host: '::1', port: 26381 }];
    expect(redisOf({ REDIS_SENTINELS: 's1.example:26379, 10.0.0.2:26380,[::1]:26381' }).redis).toEqual({ topology: 'sentinel', sentinels, name: 'mymaster' });
    expect(redisOf({ REDIS_SENTINELS: 's1.example:26379', REDIS_SENTINEL_NAME: 'tokens' }).redis)
      .toEqual({ topology: 'sentinel', sentinels: [sentinels[0]], name: 'tokens' });
  });

  it('takes REDIS_CLUSTER as host:port pairs, beside an empty REDIS_URL', () => {
    expect(redisOf({ REDIS_URL: '', REDIS_CLUSTER: 'redis-1:7000,redis-2:7001' }).redis)
      .toEqual({ topology: 'cluster', nodes: [{ host: 'redis-1', port: 7000 }, { host: 'redis-2', port: 7001 }] });
  });

  it.each([
    ['auto', { replicas: 'auto' }],
    ['2', { replicas: 2 }],
    ['0', false],
    ['off', false],
  ])('takes REDIS_REPLICA_ACKS=%s as replicaAcks %j', (value, replicaAcks) => {
    expect(redisOf({ REDIS_CLUSTER: 'redis-1:7000', REDIS_REPLICA_ACKS: value }).replicaAcks).toEqual(replicaAcks);
  });

  const use = 'use comma-separated host:port pairs, such as';
  it.each<[string, Record<string, string>, string]>([
    ['two topologies', { REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's1:26379' },
      'REDIS_URL and REDIS_SENTINELS are set together: set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER (a server, sentinels or a cluster)'],
    ['three topologies', { REDIS_URL: 'redis://r:6379', REDIS_SENTINELS: 's1:26379', REDIS_CLUSTER: 'c1:7000' },
      'REDIS_URL, REDIS_SENTINELS and REDIS_CLUSTER are set together: set only one of REDIS_URL, REDIS_SENTINELS, REDIS_CLUSTER (a server, sentinels or a cluster)'],
    ['REDIS_SENTINEL_NAME without REDIS_SENTINELS', { REDIS_URL: 'redis://r:6379', REDIS_SENTINEL_NAME: 'tokens' },
      'REDIS_SENTINEL_NAME=tokens names a master for sentinels, but REDIS_SENTINELS is not set: give the sentinels too, as REDIS_SENTINELS=host:port,host:port'],
    ['a REDIS_SENTINEL_NAME with a space', { REDIS_SENTINELS: 's1:26379', REDIS_SENTINEL_NAME: 'my master' },
      'REDIS_SENTINEL_NAME=my master is not a master\'s name: use the name the sentinels monitor (sentinel monitor <name> …), default mymaster'],
    ['a sentinel without a port', { REDIS_SENTINELS: 's1:26379,s2' },
      `REDIS_SENTINELS=s1:26379,s2: "s2" is not host:port: ${use} REDIS_SENTINELS=s1:26379,s2:26379,s3:26379`],
    ['a URL for a sentinel', { REDIS_SENTINELS: 'redis://s1:26379' },
      `REDIS_SENTINELS=redis://s1:26379: "redis://s1:26379" is not host:port: ${use} REDIS_SENTINELS=s1:26379,s2:26379,s3:26379`],
    ['an IPv6 address without brackets', { REDIS_SENTINELS: '::1:26379' },
      `REDIS_SENTINELS=::1:26379: "::1:26379" is not host:port: ${use} REDIS_SENTINELS=s1:26379,s2:26379,s3:26379`],
    ['brackets around no IPv6 address', { REDIS_SENTINELS: '[s1]:26379' },
      `REDIS_SENTINELS=[s1]:26379: "[s1]:26379" is not host:port: ${use} REDIS_SENTINELS=s1:26379,s2:26379,s3:26379`],
    ['port 0', { REDIS_SENTINELS: 's1:0' },
      `REDIS_SENTINELS=s1:0: "s1:0" has no valid port (1 to 65535): ${use} REDIS_SENTINELS=s1:26379,s2:26379,s3:26379`],
    ['a port above 65535', { REDIS_CLUSTER: 'c1:70000' },
      `REDIS_CLUSTER=c1:70000: "c1:70000" has no valid port (1 to 65535): ${use} REDIS_CLUSTER=redis-1:6379,redis-2:6379`],
    ['only commas', { REDIS_CLUSTER: ', ,' }, `REDIS_CLUSTER=, , names no server: ${use} REDIS_CLUSTER=redis-1:6379,redis-2:6379`],
    ['semicolons for commas', { REDIS_CLUSTER: 'c1:7000;c2:7001' },
      `REDIS_CLUSTER=c1:7000;c2:7001: "c1:7000;c2:7001" is not host:port: ${use} REDIS_CLUSTER=redis-1:6379,redis-2:6379`],
    ['REDIS_REPLICA_ACKS not a count', { REDIS_URL: 'redis://r:6379', REDIS_REPLICA_ACKS: 'yes' },
      'REDIS_REPLICA_ACKS=yes is not a replica count: use auto (the default: one replica where the master has one), a number from 0 to 16, or off'],
    ['REDIS_REPLICA_ACKS above 16', { REDIS_URL: 'redis://r:6379', REDIS_REPLICA_ACKS: '17' },
      'REDIS_REPLICA_ACKS=17 is not a replica count: use auto (the default: one replica where the master has one), a number from 0 to 16, or off'],
    ['REDIS_REPLICA_ACKS without Redis', { REDIS_REPLICA_ACKS: 'auto' },
      'REDIS_REPLICA_ACKS=auto applies to Redis only: set REDIS_URL, REDIS_SENTINELS or REDIS_CLUSTER too'],
  ])('refuses %s with one line naming the variable', (_name, env, message) => {
    expect(() => readSettings(env)).toThrow(new SettingError(message));
  });
});
