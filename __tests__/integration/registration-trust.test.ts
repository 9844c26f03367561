/**
 * Threat: with dynamic registration on, a client registers itself as trusted — first-party (no
 * consent), header-trusted (names any device address), or with its own `session_transfer`
 * (binding `none`, refresh tokens) — and redeems a victim's token from elsewhere. Those settings are
 * the operator's, as in Auth0, where only the Management API sets them.
 */
import { afterAll, describe, expect, it } from '@jest/globals';
import request from 'supertest';

import { redisAdapter } from '../../lib/index.js';
import { redisClient, testIdentityProvider } from '../helpers/idp.js';

const redis = redisClient();
afterAll(async () => {
  await redis.quit();
});

// Registered clients are kept without expiry: in the provider's memory here, not in the suite's Redis.
const REGISTRATION = {
  adapter: undefined,
  features: { registration: { enabled: true }, registrationManagement: { enabled: true }, devInteractions: { enabled: false } },
};
const client = (extra: Record<string, unknown>) => ({
  redirect_uris: ['https://self.example/cb'], grant_types: ['authorization_code'], response_types: ['code'], ...extra,
});

describe('dynamic registration', () => {
  const idp = testIdentityProvider({ redis, keyPrefix: 'reg-trust:' }, REGISTRATION);
  const register = (metadata: Record<string, unknown>) => request(idp.app).post('/reg').send(client(metadata));

  it.each([
    ['is_first_party', { is_first_party: true }],
    ['is_token_endpoint_ip_header_trusted', { is_token_endpoint_ip_header_trusted: true }],
    ['session_transfer.enforce_device_binding', { session_transfer: { enforce_device_binding: 'none' } }],
    ['session_transfer.allow_refresh_token', { session_transfer: { allow_refresh_token: true } }],
    ['session_transfer.allowed_authentication_methods', { session_transfer: { allowed_authentication_methods: ['query'] } }],
    ['session_transfer.can_create_session_transfer_token', { session_transfer: { can_create_session_transfer_token: true } }],
  ])('refuses a client that gives itself %s', async (field, metadata) => {
    const res = await register(metadata);
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_client_metadata');
    expect(res.body.error_description).toContain(`${field} is the operator's to set`);
  });

  it('registers a client whose settings are the defaults, and echoes them', async () => {
    const res = await register({ session_transfer: { enforce_device_binding: 'ip' }, is_first_party: false });
    expect(res.status).toBe(201);

    // An RFC 7592 update sending back what it read is not a grant of trust either.
    const { registration_access_token: token, registration_client_uri: uri, ...read } = res.body;
    const update = await request(idp.app).put(new URL(uri).pathname).set('authorization', `Bearer ${token}`)
      .send({ ...read, client_secret: undefined, client_secret_expires_at: undefined, client_id_issued_at: undefined });
    expect(update.status).toBe(200);
  });

  it('refuses the same trust through a client update', async () => {
    const res = await register({});
    const { registration_access_token: token, registration_client_uri: uri, ...read } = res.body;
    const update = await request(idp.app).put(new URL(uri).pathname).set('authorization', `Bearer ${token}`)
      .send({ ...read, client_secret: undefined, client_secret_expires_at: undefined, client_id_issued_at: undefined, is_first_party: true });
    expect(update.status).toBe(400);
    expect(update.body.error_description).toContain("is_first_party is the operator's to set");
  });

  it('lets a client through where the registrationPolicy says so', async () => {
    const seen: unknown[] = [];
    const allowing = testIdentityProvider({
      redis, keyPrefix: 'reg-policy:',
      registrationPolicy: (ctx, metadata) => {
        seen.push([ctx.oidc.route, metadata.is_first_party]);
        return ctx.get('x-onboarding-key') === 'operator';
      },
    }, REGISTRATION);
    const asOperator = await request(allowing.app).post('/reg').set('x-onboarding-key', 'operator').send(client({ is_first_party: true }));
    expect(asOperator.status).toBe(201);
    expect(asOperator.body.is_first_party).toBe(true);
    expect((await request(allowing.app).post('/reg').send(client({ is_first_party: true }))).status).toBe(400);
    expect(seen).toContainEqual(['registration', true]);
  });
});

describe('a client id that is the URL of its own metadata document, in any letter case', () => {
  // oidc-provider reads client id URLs case-insensitively (a Client ID Metadata Document's id);
  // here the document's metadata sits in the adapter, as oidc-provider would cache what it fetched.
  const idp = testIdentityProvider({ redis, keyPrefix: 'url-client:' });
  const clients = redisAdapter({ client: redis, prefix: 'url-client:oidc:' })('Client');

  it.each(['https://attacker.example/c', 'HTTPS://attacker.example/c', 'Https://attacker.example/d'])(
    '%s cannot give itself trust (is_first_party, session_transfer)', async (clientId) => {
      await clients.upsert(clientId, {
        client_id: clientId, token_endpoint_auth_method: 'none', redirect_uris: ['https://attacker.example/cb'], response_types: ['code'],
        grant_types: ['authorization_code'], is_first_party: true,
        session_transfer: { allowed_authentication_methods: ['query'], enforce_device_binding: 'none' },
      }, 60);
      const query = new URLSearchParams({ client_id: clientId, response_type: 'code', scope: 'openid', redirect_uri: 'https://attacker.example/cb' });
      const res = await request(idp.app).get(`/auth?${query}`);
      expect(res.status).toBe(400);
      expect(res.text).toContain('is the operator&#39;s to set');
    });
});
