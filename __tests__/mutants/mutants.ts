/**
 * The security guarantees, each as its code undone (a mutant) and the test that must notice.
 * `npm run test:mutants` applies each mutant alone, runs its test file, and expects it to fail: a
 * guarantee whose test still passes with its code undone is not backed by that test.
 * docs/security.md names these tests beside each guarantee.
 */
export interface Mutant {
  /** The guarantee, as docs/security.md states it. */
  guarantee: string;
  /** The file the mutant changes, and the text it replaces (exactly once) and with what. */
  file: string;
  from: string;
  to: string;
  /** The test file that must fail, and the name of the test that backs the guarantee. */
  test: string;
  name: string;
}

export const MUTANTS: readonly Mutant[] = [
  {
    guarantee: 'Only a hash of each token is stored',
    file: 'lib/mint/grant.ts',
    from: 'const tokenHash = hashToken(token);',
    to: 'const tokenHash = token;',
    test: '__tests__/integration/mint.test.ts',
    name: 'stores only the hash, with a TTL no longer than the lifetime, and no raw token anywhere',
  },
  {
    guarantee: 'Each token is single-use: consumed atomically in one round trip',
    file: 'lib/store/redis-store.ts',
    from: "redis.call('SET', KEYS[1], '!' .. head .. ARGV[1], 'KEEPTTL')",
    to: "local unused = head",
    test: '__tests__/integration/redeem.test.ts',
    name: 'gives exactly one code to 50 concurrent requests carrying the same token',
  },
  {
    guarantee: 'Each token is short-lived',
    file: 'lib/redeem/redeem.ts',
    from: "if (!record || record.exp * 1000 <= options.clock()) throw new Rejection('not_found_or_expired');",
    to: "if (!record) throw new Rejection('not_found_or_expired');",
    test: '__tests__/integration/redeem-options.test.ts',
    name: 'refuses a token past its lifetime by the injected clock',
  },
  {
    guarantee: 'Device binding: ip',
    file: 'lib/binding/device-binding.ts',
    from: 'const ok = sameIp(expected, actual, prefix);',
    to: 'const ok = true || sameIp(expected, actual, prefix);',
    test: '__tests__/integration/binding.test.ts',
    name: 'ip: a token minted from 127.0.0.1 is refused from 127.0.0.2, with both sides reported',
  },
  {
    guarantee: "A native client's minimum_device_binding is exact: a web client's IPv6 prefix does not loosen it",
    file: 'lib/redeem/redeem.ts',
    from: 'const underFloor = floorOutcome?.ok === false;',
    to: 'const underFloor = floorOutcome?.ok === false && !outcome.ok;',
    test: '__tests__/integration/binding.test.ts',
    name: 'threat: a web client\'s IPv6 prefix loosens a native client\'s minimum_device_binding "ip" (exact): refused',
  },
  {
    guarantee: 'A token naming web clients is refused at any other',
    file: 'lib/redeem/redeem.ts',
    from: "if (record.audience && !record.audience.includes(client.clientId)) throw new Rejection('client_mismatch', known(record));",
    to: '',
    test: '__tests__/integration/redeem.test.ts',
    name: 'refuses a token whose audience names other web clients: client_mismatch',
  },
  {
    guarantee: 'A refresh token from a transferred session cannot mint again',
    file: 'lib/mint/refresh-token.ts',
    from: 'if (refreshToken.amr?.includes(TRANSFER_AMR)) {',
    to: 'if (false) {',
    test: '__tests__/integration/mint.test.ts',
    name: 'refuses a refresh token born from a transfer (nested transfer), also after rotation',
  },
  {
    guarantee: 'A signed-in user is never silently switched to another account (case 3)',
    file: 'lib/redeem/redeem.ts',
    from: 'if (session.accountId && session.accountId !== record.accountId) {',
    to: 'if (false) {',
    test: '__tests__/integration/redeem.test.ts',
    name: "3: another user's session is ended, its grants revoked, and the login prompt shown",
  },
  {
    guarantee: 'Under prompt=none, another account\'s token leaves the existing session untouched',
    file: 'lib/redeem/redeem.ts',
    from: "if (ctx.oidc.prompts.has('none')) throw new Rejection('user_mismatch', known(record));",
    to: '',
    test: '__tests__/integration/redeem.test.ts',
    name: "3 under prompt=none (threat: another account's token that passes binding is a silent logout): login_required, the session untouched",
  },
  {
    guarantee: 'A session the library ends gets a new uid, so lineages never share it',
    file: 'lib/revocation/end-session.ts',
    from: "session.uid = randomBytes(16).toString('base64url');",
    to: 'void randomBytes;',
    test: '__tests__/integration/redeem.test.ts',
    name: "3 then another transfer (threat: the ended session's uid joins a second user's lineage, so the first user's revocation ends the second's session): it does not",
  },
  {
    guarantee: 'Revoking the native grant ends the web sessions its tokens created (cascade)',
    file: 'lib/redeem/redeem.ts',
    from: '...(cascade ? { cascade: true as const } : {}),',
    to: '',
    test: '__tests__/integration/cascade.test.ts',
    name: 'revocation endpoint: the web session, refresh token and access token all end',
  },
  {
    guarantee: 'A cascade that fails is retried until it succeeds, never abandoned',
    file: 'lib/revocation/cascade.ts',
    from: 'setTimeout(() => void attempt(number + 1), delay).unref();',
    to: 'if (number <= retryDelays.length) setTimeout(() => void attempt(number + 1), delay).unref();',
    test: '__tests__/integration/cascade-more.test.ts',
    name: 'threat: a cascade that fails more often than it has scheduled retries is abandoned, leaving the web session signed in: it is retried until it succeeds',
  },
  {
    guarantee: 'A replay from another device revokes the parent grant (onReplay: "revoke_grant"); a reload from the same device, as binding judges it, does not',
    file: 'lib/redeem/redeem.ts',
    from: '!presented.pushed && !(await sameDevice(settings, record.by, request.ip))',
    to: '!presented.pushed && record.by !== request.ip',
    test: '__tests__/integration/replay.test.ts',
    name: "threat: a reload from what binding counts as the same device (127.0.0.1, then ::1 at example-web) revokes the user's own grant: it does not",
  },
  {
    guarantee: "A pushed request's reuse never revokes",
    file: 'lib/redeem/redeem.ts',
    from: ' && !presented.pushed && ',
    to: ' && ',
    test: '__tests__/integration/redeem-options.test.ts',
    name: "threat: a reuse of the request_uri from elsewhere (who saw only the URL) revokes the victim's grant: it does not",
  },
  {
    guarantee: 'A token pushed inside a PAR request is kept only as its hash',
    file: 'lib/redeem/redeem.ts',
    from: 'ctx.oidc.params![TOKEN_PARAM] = pushedValue(value);',
    to: 'ctx.oidc.params![TOKEN_PARAM] = value; void pushedValue;',
    test: '__tests__/integration/redeem-options.test.ts',
    name: 'accepts a token pushed in the request body, keeps only its hash, and consumes it at the front-channel request',
  },
  {
    guarantee: 'The idle lifetime ends a transferred session wherever the provider uses it (an interaction resume too)',
    file: 'lib/redeem/configuration.ts',
    from: "if (ctx.oidc.route === 'resume' && await resumeUpkeep(ctx)) return undefined;",
    to: 'void resumeUpkeep;',
    test: '__tests__/integration/redeem-options.test.ts',
    name: 'threat: an interaction resumed after the idle lifetime ran out completes on the idle-expired session: it does not',
  },
  {
    guarantee: 'The idle lifetime ends a transferred session wherever the provider uses it (a refresh token bound to it too)',
    file: 'lib/redeem/configuration.ts',
    from: '        if (!alive) return undefined;',
    to: '        void alive;',
    test: '__tests__/integration/redeem-options.test.ts',
    name: 'threat: a refresh token that ends with a transferred session keeps refreshing after its idle lifetime ran out: it does not',
  },
  {
    guarantee: 'First-party auto-consent only for the (resource, scope) pairs the native grant holds',
    file: 'lib/redeem/configuration.ts',
    from: ' && delegated.has(scope) && held.has(scope));',
    to: ' && delegated.has(scope));',
    test: '__tests__/integration/resource-consent.test.ts',
    name: 'threat: a scope consented for one API is granted silently for another: the consent screen is shown',
  },
  {
    guarantee: "Trust is the operator's: a self-published client (registration, a client id URL in any letter case) cannot give itself trust",
    file: 'lib/session-transfer.ts',
    from: "return protocol === 'https:' || protocol === 'http:';",
    to: "return /^https?:\\/\\//.test(value) && (protocol === 'https:' || protocol === 'http:');",
    test: '__tests__/integration/registration-trust.test.ts',
    name: 'HTTPS://attacker.example/c cannot give itself trust (is_first_party, session_transfer)',
  },
  {
    guarantee: 'An Auth0-form mint is recognised at every path the router serves as the token endpoint',
    file: 'lib/mint/auth0-request.ts',
    from: 'const atToken = sameRoute(ctx.path, tokenPath);',
    to: 'const atToken = ctx.path === tokenPath;',
    test: '__tests__/integration/auth0-compatible.test.ts',
    name: '/oauth/token/ mints, as /oauth/token does',
  },
  {
    guarantee: 'Every stored field is bounded (a key stays under 1 kB)',
    file: 'lib/binding/client-ip.ts',
    from: "return ctx.get('user-agent').slice(0, MAX_USER_AGENT) || undefined;",
    to: "return ctx.get('user-agent') || undefined;",
    test: '__tests__/integration/bounds.test.ts',
    name: 'keep every key of the library at 1 kB or less, whatever the client sends',
  },
  {
    guarantee: 'A grant mints at most maxTokensPerGrant tokens per token lifetime',
    file: 'lib/mint/grant.ts',
    from: 'if (count > options.maxTokensPerGrant) {',
    to: 'if (false) {',
    test: '__tests__/integration/bounds.test.ts',
    name: 'refuses a grant its next token within one lifetime with 429 too_many_requests, storing nothing more',
  },
  {
    guarantee: "X-Forwarded-For is walked back from the socket through trusted proxies only: a client's own entries never win",
    file: 'lib/binding/trust-proxy.ts',
    from: "chain.push(...forwardedFor.split(',').map((entry) => entry.trim()).reverse());",
    to: "chain.push(...forwardedFor.split(',').map((entry) => entry.trim()));",
    test: '__tests__/unit/trust-proxy.test.ts',
    name: 'walks back the trusted hops; entries left of them never win',
  },
  {
    guarantee: 'Under a hop count, X-Forwarded-Host and -Proto are believed only with X-Forwarded-For (from a proxy, not a client connecting directly)',
    file: 'lib/binding/forwarded-headers.ts',
    from: "const proxied = trust.byAddress || ctx.get('x-forwarded-for') !== '';",
    to: 'const proxied = true;',
    test: '__tests__/integration/binding.test.ts',
    name: 'threat: under a hop count (trustProxy: 1), a client connecting directly names the host: ignored without X-Forwarded-For, as for the client IP',
  },
  {
    guarantee: 'Access logs: redactUrl removes tokens and request_uri',
    file: 'lib/redact.ts',
    from: "const REDACTED = new Set([TOKEN_PARAM, 'request_uri']);",
    to: 'const REDACTED = new Set([TOKEN_PARAM]);',
    test: '__tests__/unit/redact.test.ts',
    name: 'redacts a token whose parameter name is percent- or plus-encoded, as the provider decodes it',
  },
  {
    guarantee: 'Fail closed: a redeem that cannot reach the store is refused (store_unavailable)',
    file: 'lib/redeem/redeem.ts',
    from: "    throw new Rejection('store_unavailable', knownFields);",
    to: '    return undefined as T;',
    test: '__tests__/integration/redeem-options.test.ts',
    name: 'ends at the login prompt (login_required with prompt=none) within 2 s',
  },
];
