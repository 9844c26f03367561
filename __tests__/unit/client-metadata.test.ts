import { describe, expect, it } from '@jest/globals';
import Provider from 'oidc-provider';

import { ClientMetadataError, clientDefaults, MemoryStore, sessionTransfer } from '../../lib/index.js';
import { resolveClientSettings, resolveTokenExchange } from '../../lib/client-metadata.js';

describe('client metadata session_transfer', () => {
  it("has Auth0's defaults", () => {
    expect(resolveClientSettings('c', undefined)).toEqual({
      can_create_session_transfer_token: false,
      enforce_cascade_revocation: true,
      minimum_device_binding: 'none', // beyond Auth0; "none" is Auth0's behaviour
      allowed_authentication_methods: [],
      enforce_device_binding: 'ip',
      device_binding_mode: 'enforce',
      ipv6_prefix_length: null,
      allow_refresh_token: false,
      enforce_online_refresh_tokens: true,
      confirm_query_transfers: false, // beyond Auth0
      delegation: { allow_delegated_access: false, enforce_device_binding: 'ip' },
      transfer_to: null, // beyond Auth0: the trust map, any client by default
      accept_from: null,
      native_sso: false, // beyond Auth0: OpenID Connect Native SSO
      logout_native: false, // beyond Auth0: a web logout ends the web session only
    });
    expect(resolveClientSettings('c', null)).toEqual(clientDefaults);
  });

  it('validates delegation, naming the field', () => {
    expect(resolveClientSettings('c', { delegation: { allow_delegated_access: true } }).delegation)
      .toEqual({ allow_delegated_access: true, enforce_device_binding: 'ip' });
    expect(resolveClientSettings('c', { delegation: null }).delegation).toEqual(clientDefaults.delegation);
    expect(() => resolveClientSettings('c', { delegation: { enforce_device_binding: 'asn' } }))
      .toThrow('client "c": session_transfer.delegation.enforce_device_binding must be "ip"');
    expect(() => resolveClientSettings('c', { delegation: { allow_delegated_access: 'yes' } }))
      .toThrow('session_transfer.delegation.allow_delegated_access must be a boolean');
    expect(() => resolveClientSettings('c', { delegation: { allow: true } })).toThrow('session_transfer.delegation.allow is not a known setting');
  });

  it('validates the trust map\'s lists: client ids, never empty, only where the client mints or accepts', () => {
    const minting = { can_create_session_transfer_token: true };
    const accepting = { allowed_authentication_methods: ['query'] };
    expect(resolveClientSettings('c', { ...minting, transfer_to: ['web', 'web', 'other'] }).transfer_to).toEqual(['web', 'other']);
    expect(resolveClientSettings('c', { ...accepting, accept_from: ['app'] }).accept_from).toEqual(['app']);
    expect(resolveClientSettings('c', { delegation: { allow_delegated_access: true }, accept_from: ['console'] }).accept_from).toEqual(['console']);
    expect(resolveClientSettings('c', { transfer_to: null, accept_from: null })).toEqual(clientDefaults);
    expect(() => resolveClientSettings('c', { ...minting, transfer_to: 'web' }))
      .toThrow('client "c": session_transfer.transfer_to must be an array of client ids, or null for any client');
    expect(() => resolveClientSettings('c', { ...accepting, accept_from: [''] }))
      .toThrow('client "c": session_transfer.accept_from must be an array of client ids, or null for any client');
    expect(() => resolveClientSettings('c', { ...minting, transfer_to: [] }))
      .toThrow('client "c": session_transfer.transfer_to must name a client: to mint for none, set can_create_session_transfer_token to false');
    expect(() => resolveClientSettings('c', { ...accepting, accept_from: [] }))
      .toThrow('client "c": session_transfer.accept_from must name a client: to accept no tokens, set allowed_authentication_methods to []');
    expect(() => resolveClientSettings('c', { transfer_to: ['web'] }))
      .toThrow('client "c": session_transfer.transfer_to is set on a client that hands no session on (can_create_session_transfer_token and native_sso are false)');
    expect(() => resolveClientSettings('c', { accept_from: ['app'] }))
      .toThrow('client "c": session_transfer.accept_from is set on a client that accepts no session (allowed_authentication_methods is empty and native_sso is false)');
    expect(() => resolveClientSettings('c', { logout_native: true }))
      .toThrow('client "c": session_transfer.logout_native is set on a client that accepts no tokens (allowed_authentication_methods is empty)');
    // A Native SSO app hands its session to, and takes one from, other apps of its group.
    expect(resolveClientSettings('c', { native_sso: true, transfer_to: ['app'], accept_from: ['app'] })).toMatchObject({ transfer_to: ['app'], accept_from: ['app'] });
  });

  it('validates token_exchange: only custom_authentication, never on a public client', () => {
    const types = { allow_any_profile_of_type: ['custom_authentication'] };
    expect(resolveTokenExchange('c', types, 'client_secret_post')).toBe(true);
    expect(resolveTokenExchange('c', undefined, 'none')).toBe(false);
    expect(resolveTokenExchange('c', { allow_any_profile_of_type: [] }, 'none')).toBe(false);
    expect(() => resolveTokenExchange('c', types, 'none')).toThrow('token_exchange.allow_any_profile_of_type cannot be set on a public client');
    expect(() => resolveTokenExchange('c', { allow_any_profile_of_type: ['other'] }, 'client_secret_post'))
      .toThrow('token_exchange.allow_any_profile_of_type must be an array of "custom_authentication"');
    expect(() => resolveTokenExchange('c', { profiles: [] }, 'client_secret_post')).toThrow('token_exchange.profiles is not a known setting');
  });

  it('keeps given values and defaults the rest', () => {
    expect(resolveClientSettings('web', { allowed_authentication_methods: ['query', 'query', 'cookie'], enforce_device_binding: 'none' }))
      .toMatchObject({ allowed_authentication_methods: ['query', 'cookie'], enforce_device_binding: 'none', allow_refresh_token: false });
  });

  it.each([
    ['not an object', 'yes', 'client "app": session_transfer must be an object'],
    ['a string boolean', { allow_refresh_token: 'true' }, 'client "app": session_transfer.allow_refresh_token must be a boolean'],
    ['an unknown method', { allowed_authentication_methods: ['header'] }, 'client "app": session_transfer.allowed_authentication_methods must be an array of "cookie", "query"'],
    ['an unknown binding', { enforce_device_binding: 'mac' }, 'client "app": session_transfer.enforce_device_binding must be one of "ip", "asn", "none"'],
    ['an unknown field', { can_create: true }, 'client "app": session_transfer.can_create is not a known setting'],
    ['an unknown binding mode', { device_binding_mode: 'warn' }, 'client "app": session_transfer.device_binding_mode must be one of "enforce", "log_only"'],
    ['a prefix length of 0', { ipv6_prefix_length: 0 }, 'client "app": session_transfer.ipv6_prefix_length must be an integer from 1 to 128, or null'],
  ])('rejects %s, naming the client and the field', (_name, value, message) => {
    expect(() => resolveClientSettings('app', value)).toThrow(ClientMetadataError);
    expect(() => resolveClientSettings('app', value)).toThrow(message);
  });

  it('stops start-up at configure() when a static client is wrong', () => {
    const transfer = sessionTransfer({ store: new MemoryStore() });
    expect(() => transfer.configure({
      clients: [{ client_id: 'web', client_secret: 's', redirect_uris: ['https://rp.example/cb'], session_transfer: { enforce_device_binding: 'MAC' } }],
    })).toThrow('client "web": session_transfer.enforce_device_binding must be one of "ip", "asn", "none"');
  });

  it.each([
    [{ client_id: 'n', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['com.example:/cb'], is_first_party: true },
      'client "n": is_first_party cannot be true for a native client'],
    [{ client_id: 'p', token_endpoint_auth_method: 'none', redirect_uris: ['https://rp.example/cb'], is_token_endpoint_ip_header_trusted: true },
      'client "p": is_token_endpoint_ip_header_trusted cannot be true for a public client'],
    [{ client_id: 'b', client_secret: 's', redirect_uris: ['https://rp.example/cb'], is_token_endpoint_ip_header_trusted: 'yes' },
      'client "b": is_token_endpoint_ip_header_trusted must be a boolean'],
  ])('rejects top-level metadata that does not fit the client: %#', (client, message) => {
    const transfer = sessionTransfer({ store: new MemoryStore() });
    expect(() => transfer.configure({ clients: [client as never] })).toThrow(message);
  });

  it('refuses a Native SSO app the feature is off for, or whose ID tokens cannot carry a SHA-256 ds_hash, share one user or be verified', () => {
    const app = { client_id: 'a', application_type: 'native', token_endpoint_auth_method: 'none', redirect_uris: ['com.example:/cb'], session_transfer: { native_sso: true } };
    expect(() => sessionTransfer({ store: new MemoryStore() }).configure({ clients: [app as never] }))
      .toThrow('client "a": session_transfer.native_sso needs options.nativeSso (Native SSO is off)');
    const on = () => sessionTransfer({ store: new MemoryStore(), nativeSso: {} });
    expect(() => on().configure({ clients: [{ ...app, id_token_signed_response_alg: 'ES384' } as never] }))
      .toThrow('client "a": session_transfer.native_sso needs id_token_signed_response_alg RS256, PS256, ES256 (ds_hash is a SHA-256 hash), not ES384');
    expect(() => on().configure({ clients: [{ ...app, subject_type: 'pairwise' } as never] }))
      .toThrow('client "a": session_transfer.native_sso cannot be set on a client with pairwise subjects');
    expect(() => on().configure({ clients: [{ ...app, id_token_encrypted_response_alg: 'RSA-OAEP-256' } as never] }))
      .toThrow('client "a": session_transfer.native_sso cannot be set on a client with encrypted ID tokens');
    // With no refresh token, an app that may mint does so from its device secret.
    expect(() => on().configure({
      clients: [{ ...app, grant_types: ['authorization_code'], session_transfer: { native_sso: true, can_create_session_transfer_token: true } } as never],
    })).not.toThrow();
  });

  it('validates dynamically loaded clients through oidc-provider, naming the client', async () => {
    const transfer = sessionTransfer({ store: new MemoryStore() });
    const provider = new Provider('http://localhost:3000', transfer.configure({}));
    transfer.attach(provider);
    await expect(provider.Client.validate({
      client_id: 'dyn', client_secret: 's', redirect_uris: ['https://rp.example/cb'],
      session_transfer: { allowed_authentication_methods: 'cookie' },
    })).rejects.toMatchObject({
      error: 'invalid_client_metadata',
      error_description: 'client "dyn": session_transfer.allowed_authentication_methods must be an array of "cookie", "query"',
    });
  });

  it('lets clients holding refresh tokens use the token-exchange grant, and no others', async () => {
    const transfer = sessionTransfer({ store: new MemoryStore() });
    const provider = new Provider('http://localhost:3000', transfer.configure({
      clients: [
        { client_id: 'native', token_endpoint_auth_method: 'none', application_type: 'native', redirect_uris: ['com.example:/cb'], grant_types: ['authorization_code', 'refresh_token'] },
        { client_id: 'web', client_secret: 's', redirect_uris: ['https://rp.example/cb'] },
      ],
    }));
    transfer.attach(provider);
    const exchange = 'urn:ietf:params:oauth:grant-type:token-exchange';
    expect((await provider.Client.find('native'))!.grantTypeAllowed(exchange)).toBe(true);
    expect((await provider.Client.find('web'))!.grantTypeAllowed(exchange)).toBe(false);
  });
});
