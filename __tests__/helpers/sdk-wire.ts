/**
 * Plumbing for the SDK wire-replay suites (`__tests__/sdk/`): the example provider as `npm start`
 * runs it, raw HTTP exchanges, and the checks SDKs make of ID tokens. What each SDK sends and how it
 * decodes answers lives in its own suite, with the source it was read from.
 */
import { createPublicKey, verify, type JsonWebKey } from 'node:crypto';

import type { ClientMetadata } from 'oidc-provider';

import { Browser } from '../../examples/browser.js';
import { authorizeInteractively } from '../../examples/native/sign-in.js';
import { AUTH0_SDK_READY, startExampleServers, type ExampleServers } from '../../examples/servers.js';
import { MemoryStore } from '../../lib/index.js';

export interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** The body as JSON, or undefined when it is not JSON. */
  json: Record<string, unknown> | undefined;
}

export interface Send {
  method?: string;
  headers?: Record<string, string>;
  /** A JSON body, sent as the given content type's bytes. */
  json?: unknown;
  /** A form body. */
  form?: Record<string, string>;
}

/** One HTTP exchange, exactly as described: no redirects followed. */
export async function send(url: string | URL, { method = 'POST', headers = {}, json, form }: Send = {}): Promise<Reply> {
  const body = json !== undefined ? JSON.stringify(json) : form ? new URLSearchParams(form).toString() : undefined;
  const response = await fetch(url, { method, headers, body, redirect: 'manual' });
  const text = await response.text();
  let parsed: Record<string, unknown> | undefined;
  try {
    parsed = JSON.parse(text) as Record<string, unknown>;
  } catch {
    parsed = undefined;
  }
  return { status: response.status, headers: response.headers, text, json: parsed };
}

/** An `Auth0-Client` value: JSON, base64url without padding, base64url with it, or base64 (`btoa`). */
export function auth0Client(info: object, encoding: 'base64url' | 'base64url-padded' | 'base64'): string {
  const raw = Buffer.from(JSON.stringify(info));
  if (encoding === 'base64') return raw.toString('base64');
  const url = raw.toString('base64url');
  return encoding === 'base64url' ? url : url.padEnd(Math.ceil(url.length / 4) * 4, '=');
}

export interface SdkExample extends ExampleServers {
  /** Where the SDKs are pointed: `http://localhost:<port>` (the SDKs' `https://<domain>`). */
  origin: string;
}

/** The example provider and web app as `npm start` runs them, with `clients` added, on free ports. */
export async function startSdkExample(clients: ClientMetadata[] = []): Promise<SdkExample> {
  const example = await startExampleServers({
    port: 0,
    webPort: 0,
    issuer: AUTH0_SDK_READY.issuer,
    clients,
    transfer: { store: new MemoryStore(), auth0Compatible: AUTH0_SDK_READY.auth0Compatible },
  });
  return { ...example, origin: `http://localhost:${example.ports.idp}` };
}

/** A browser signs in as demo@example.com at `authorize` (login and consent forms); the redirect it ends on. */
export function browserSignIn(authorize: string, redirectUri: string, browser = new Browser()): Promise<URL> {
  return authorizeInteractively(browser, authorize, { login: 'demo@example.com', password: 'demo', redirectUri });
}

/** The fields of a `form_post` response page (the auto-submitting form oidc-provider renders). */
export function formPostFields(html: string): Record<string, string> {
  return Object.fromEntries([...html.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)].map(([, name, value]) => [name!, value!]));
}

export interface IdTokenRules {
  issuer: string;
  audience: string;
  nonce?: string;
  /** The `alg` the SDK accepts. */
  alg: string;
  /** Verify the signature with the provider's JWKS, keeping only keys the SDK keeps; default: it does not verify. */
  jwks?: { url: string; keep(jwk: JsonWebKey): boolean };
}

/** Checks an ID token as an SDK does; returns its claims. */
export async function checkIdToken(idToken: unknown, rules: IdTokenRules): Promise<Record<string, unknown>> {
  if (typeof idToken !== 'string') throw new TypeError('id_token is missing');
  const [header64, payload64, signature64] = idToken.split('.');
  const header = JSON.parse(Buffer.from(header64!, 'base64url').toString()) as { alg: string; kid?: string };
  const claims = JSON.parse(Buffer.from(payload64!, 'base64url').toString()) as Record<string, unknown>;
  if (header.alg !== rules.alg) throw new Error(`alg ${header.alg} is not ${rules.alg}`);
  if (rules.jwks) {
    const { keys } = (await send(rules.jwks.url, { method: 'GET' })).json as { keys: (JsonWebKey & { kid?: string })[] };
    const key = keys.find((jwk) => jwk.kid === header.kid && rules.jwks!.keep(jwk));
    if (!key) throw new Error(`no usable JWKS key for kid ${header.kid}`);
    const ok = verify('sha256', Buffer.from(`${header64}.${payload64}`), createPublicKey({ key, format: 'jwk' }), Buffer.from(signature64!, 'base64url'));
    if (!ok) throw new Error('bad signature');
  }
  const now = Math.floor(Date.now() / 1000);
  const audiences = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  if (claims.iss !== rules.issuer) throw new Error(`iss ${String(claims.iss)} is not ${rules.issuer}`);
  if (typeof claims.sub !== 'string' || !claims.sub) throw new Error('sub is missing');
  if (!audiences.includes(rules.audience)) throw new Error('aud does not name the client');
  if (audiences.length > 1 && claims.azp !== rules.audience) throw new Error('azp does not name the client');
  if (typeof claims.exp !== 'number' || claims.exp < now - 60) throw new Error('expired');
  if (typeof claims.iat !== 'number') throw new Error('iat is missing');
  if (rules.nonce !== undefined && claims.nonce !== rules.nonce) throw new Error('nonce mismatch');
  return claims;
}
