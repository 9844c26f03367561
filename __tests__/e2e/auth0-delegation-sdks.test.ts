/**
 * Session Delegation with Auth0's published SDKs, unmodified, in headless Chromium: a support
 * console built on the SDK signs its agent in, mints for a user with
 * `requestSessionTransferToken()` (the SDK takes the agent's ID token from its own session as the
 * actor) and sends the agent on with `buildSessionTransferRedirect()`; a target web app built on
 * the same SDK forwards the token from its login route to the provider and is signed in as the
 * user, its ID token naming the agent in `act`.
 *
 * - `@auth0/auth0-server-js` 1.12.1: `ServerClient` reaches the provider only over HTTPS, so the
 *   provider serves TLS with a certificate made for this run, which the SDKs' `customFetch` trusts
 *   (and Chromium is told to ignore).
 * - `express-openid-connect` 3.4.0: `req.oidc.requestSessionTransferToken()` and the target's
 *   custom login route of its `examples/cte-session-transfer.js`.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createInterface } from 'node:readline';

import { ServerClient, type StateData, type StateStore, type TransactionData, type TransactionStore } from '@auth0/auth0-server-js';
import express from 'express';
import type { ClientMetadata } from 'oidc-provider';
import type { Browser, BrowserContext } from 'playwright-core';

import { createIdentityProvider } from '../../examples/idp/app.js';
import { MemoryStore, type DelegationSubjectContext } from '../../lib/index.js';
import { chromiumAvailable, launchChromium } from '../helpers/chromium.js';
import { asyncRoute, SCOPE, showClaims, TICKET_TYPE } from '../helpers/sdk-apps.js';
import { fetchTrusting, selfSignedCertificate } from '../helpers/tls.js';
import { spawnTsx } from '../helpers/tsx-process.js';

/** server-js authenticates with client_secret_post, express-openid-connect with client_secret_basic. */
type ClientAuthMethod = 'client_secret_post' | 'client_secret_basic';

/** The server-js apps of this suite, each on its own loopback port (the express-openid-connect ones run in a process of their own). */
const APPS = ['sjsConsole', 'sjsWeb', 'sjsPlainConsole'] as const;
type AppName = (typeof APPS)[number] | 'eocConsole' | 'eocWeb' | 'eocPlainConsole';

/**
 * __tests__/helpers/eoc-apps.ts in plain Node: express-openid-connect's require() of openid-client
 * (ESM) works there on every Node line this suite runs on, in Jest's module runtime not before 24.9.
 */
async function startEocApps(issuer: string, ca: string): Promise<{ urls: Record<'eocConsole' | 'eocWeb' | 'eocPlainConsole', string>; child: ChildProcess }> {
  const child = spawnTsx('__tests__/helpers/eoc-apps.ts', [], { ISSUER: issuer, CA: ca });
  let output = '';
  child.stderr!.on('data', (chunk) => { output += chunk; });
  for await (const line of createInterface({ input: child.stdout! })) {
    return { urls: JSON.parse(line), child };
  }
  throw new Error(`the express-openid-connect apps did not start:\n${output}`);
}

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/**
 * A confidential console that signs agents in and may mint; `delegating` gives it Auth0's Custom
 * Token Exchange permission. Without it, it is a backend that mints its own users' tokens (from
 * their refresh tokens), not other users'.
 */
function consoleClient(clientId: string, url: string, authMethod: ClientAuthMethod, delegating: boolean): ClientMetadata {
  return {
    client_id: clientId,
    client_secret: `${clientId}-secret`,
    token_endpoint_auth_method: authMethod,
    redirect_uris: [`${url}/callback`],
    grant_types: delegating ? ['authorization_code'] : ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    session_transfer: { can_create_session_transfer_token: true },
    ...(delegating ? { token_exchange: { allow_any_profile_of_type: ['custom_authentication'] } } : {}),
  };
}

/** A web app that accepts delegated tokens by query, as Auth0's target settings say. */
function targetClient(clientId: string, url: string, authMethod: ClientAuthMethod): ClientMetadata {
  return {
    client_id: clientId,
    client_secret: `${clientId}-secret`,
    token_endpoint_auth_method: authMethod,
    redirect_uris: [`${url}/callback`],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    session_transfer: { allowed_authentication_methods: ['query'], delegation: { allow_delegated_access: true, enforce_device_binding: 'ip' } },
  };
}

// --- @auth0/auth0-server-js -------------------------------------------------------------------

/** server-js's store options here: which browser a request comes from. */
interface BrowserRef { browser: string }

/** server-js stores by identifier; an app keeps them per browser (here in memory, named by a cookie). */
function memoryStore(): StateStore<BrowserRef> & TransactionStore<BrowserRef> {
  const data = new Map<string, StateData & TransactionData>();
  const key = (id: string, options?: BrowserRef) => `${options!.browser}:${id}`;
  return {
    async get(id, options) { return data.get(key(id, options)); },
    async set(id, value, _removeIfExists, options) { data.set(key(id, options), value as StateData & TransactionData); },
    async delete(id, options) { data.delete(key(id, options)); },
    async deleteByLogoutToken() { /* no back-channel logout in this suite */ },
  };
}

/** An Express app with a browser cookie, its ServerClient for `clientId`, the store options in `res.locals`. */
function serverJsApp(clientId: string, origin: string, domain: string, ca: string): { app: express.Express; client: ServerClient<BrowserRef> } {
  const client = new ServerClient<BrowserRef>({
    domain,
    clientId,
    clientSecret: `${clientId}-secret`,
    authorizationParams: { redirect_uri: `${origin}/callback`, scope: SCOPE },
    transactionStore: memoryStore(),
    stateStore: memoryStore(),
    customFetch: fetchTrusting(ca),
  });
  const app = express();
  app.use((req, res, next) => {
    let browser = /(?:^|;\s*)browser=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!browser) {
      browser = randomUUID();
      res.append('set-cookie', `browser=${browser}; Path=/; HttpOnly; SameSite=Lax`);
    }
    res.locals.store = { browser } satisfies BrowserRef;
    next();
  });
  return { app, client };
}

/** The support console on server-js: sign-in, then POST /impersonate mints and redirects to the target's login. */
function serverJsConsole(clientId: string, origin: string, domain: string, ca: string, targetLoginUrl: string): express.Express {
  const { app, client } = serverJsApp(clientId, origin, domain, ca);
  app.get('/login', asyncRoute(async (_req, res) => {
    res.redirect((await client.startInteractiveLogin({}, res.locals.store)).href);
  }));
  app.get('/callback', asyncRoute(async (req, res) => {
    await client.completeInteractiveLogin(new URL(req.originalUrl, origin), res.locals.store);
    res.redirect('/');
  }));
  app.get('/', asyncRoute(async (_req, res) => showClaims(res, await client.getUser(res.locals.store))));
  app.post('/impersonate', express.urlencoded({ extended: false }), asyncRoute(async (req, res) => {
    try {
      // No actor given: the SDK sends the ID token of the agent's own session.
      const result = await client.requestSessionTransferToken({ subjectToken: String(req.body.ticket), subjectTokenType: TICKET_TYPE }, res.locals.store);
      res.redirect(client.buildSessionTransferRedirect(targetLoginUrl, result).href);
    } catch (err) {
      // The console shows the SDK's error as it got it.
      const { name, code, cause } = err as { name: string; code?: string; cause?: unknown };
      res.status(400).json({ name, code, cause });
    }
  }));
  return app;
}

/** The target web app on server-js: its login forwards `session_transfer_token` to the authorization request. */
function serverJsTarget(clientId: string, origin: string, domain: string, ca: string): express.Express {
  const { app, client } = serverJsApp(clientId, origin, domain, ca);
  app.get('/login', asyncRoute(async (req, res) => {
    const token = req.query.session_transfer_token;
    const options = typeof token === 'string' ? { authorizationParams: { session_transfer_token: token } } : {};
    res.redirect((await client.startInteractiveLogin(options, res.locals.store)).href);
  }));
  app.get('/callback', asyncRoute(async (req, res) => {
    await client.completeInteractiveLogin(new URL(req.originalUrl, origin), res.locals.store);
    res.redirect('/profile');
  }));
  // The user as server-js read it from the ID token it received.
  app.get('/profile', asyncRoute(async (_req, res) => showClaims(res, await client.getUser(res.locals.store))));
  return app;
}

// --- the suite ---------------------------------------------------------------------------------

(chromiumAvailable() ? describe : describe.skip)('Session Delegation with Auth0\'s SDKs, unmodified, in a real browser (headless Chromium)', () => {
  const certificate = selfSignedCertificate('127.0.0.1');
  const idpServer = createHttpsServer({ key: certificate.key, cert: certificate.cert });
  const servers = new Map(APPS.map((name) => [name, createHttpServer()]));
  let eocApps: ChildProcess | undefined;
  const url = {} as Record<AppName, string>;
  /** What the host's profile was asked: the subject token, and the actor the provider verified. */
  const subjects: DelegationSubjectContext[] = [];
  let issuer: string;
  let browser: Browser;

  beforeAll(async () => {
    // Every server listens first, so the issuer and the redirect URIs name the ports they got.
    issuer = `https://127.0.0.1:${await listen(idpServer)}`;
    // The apps on another host name than the provider's, so their cookies are apart as on real domains.
    for (const name of APPS) url[name] = `http://localhost:${await listen(servers.get(name)!)}`;
    const eoc = await startEocApps(issuer, certificate.cert);
    eocApps = eoc.child;
    Object.assign(url, eoc.urls);
    const { app } = createIdentityProvider({
      issuer,
      transfer: {
        store: new MemoryStore(),
        startupSummary: false,
        delegation: {
          subjectTokenTypes: [TICKET_TYPE],
          // The host's profile: one ticket, about the user demo.
          resolveSubject(context) {
            subjects.push(context);
            return context.subjectToken === 'ticket-for-demo' ? { accountId: 'demo' } : undefined;
          },
        },
      },
      clients: [
        consoleClient('sjs-console', url.sjsConsole, 'client_secret_post', true),
        targetClient('sjs-web', url.sjsWeb, 'client_secret_post'),
        consoleClient('sjs-plain-console', url.sjsPlainConsole, 'client_secret_post', false),
        consoleClient('eoc-console', url.eocConsole, 'client_secret_basic', true),
        targetClient('eoc-web', url.eocWeb, 'client_secret_basic'),
        consoleClient('eoc-plain-console', url.eocPlainConsole, 'client_secret_basic', false),
      ],
    });
    idpServer.on('request', app);
    // server-js is given a domain (host and port) and always speaks https to it.
    const domain = new URL(issuer).host;
    const ca = certificate.cert;
    const apps: Record<(typeof APPS)[number], express.Express> = {
      sjsConsole: serverJsConsole('sjs-console', url.sjsConsole, domain, ca, `${url.sjsWeb}/login`),
      sjsWeb: serverJsTarget('sjs-web', url.sjsWeb, domain, ca),
      sjsPlainConsole: serverJsConsole('sjs-plain-console', url.sjsPlainConsole, domain, ca, `${url.sjsWeb}/login`),
    };
    for (const name of APPS) servers.get(name)!.on('request', apps[name]);
    browser = await launchChromium();
  }, 30_000);

  afterAll(async () => {
    eocApps?.kill();
    await browser?.close();
    await Promise.all([idpServer, ...servers.values()].map((server) => new Promise((done) => {
      server.close(done);
      server.closeAllConnections();
    })));
  });

  /** A fresh browser profile. Chromium does not know this run's certificate: it is told to accept it. */
  const profile = () => browser.newContext({ ignoreHTTPSErrors: true });

  /** The agent (other@example.com) signs in to a console through the SDK's login, in its own browser. */
  async function agentSignsIn(consoleUrl: string): Promise<BrowserContext> {
    const context = await profile();
    const page = await context.newPage();
    await page.goto(`${consoleUrl}/login`);
    await page.fill('input[name="login"]', 'other@example.com');
    await page.fill('input[name="password"]', 'other');
    await page.click('button:has-text("Sign in")');
    await page.click('button:has-text("Allow")');
    await page.waitForURL(`${consoleUrl}/`);
    expect(JSON.parse((await page.textContent('#claims'))!)).toMatchObject({ sub: 'other' });
    await page.close();
    return context;
  }

  /** The agent asks its console for the user's session: the console's answer, its redirect not followed. */
  function impersonate(agent: BrowserContext, consoleUrl: string) {
    return agent.request.post(`${consoleUrl}/impersonate`, { form: { ticket: 'ticket-for-demo' }, maxRedirects: 0 });
  }

  /**
   * The agent opens the console's link in a private window: its own browser holds its session at
   * the provider, and a delegated token is never redeemed over an existing session (Auth0: sign
   * out first). Returns the claims the target app shows and the pages the browser went through.
   */
  async function openInPrivateWindow(link: string, profileUrl: string): Promise<{ claims: Record<string, unknown>; visited: string[] }> {
    const context = await profile();
    const page = await context.newPage();
    const visited: string[] = [];
    page.on('request', (request) => { if (request.isNavigationRequest()) visited.push(request.url()); });
    await page.goto(link);
    await page.waitForURL(profileUrl);
    const claims = JSON.parse((await page.textContent('#claims'))!) as Record<string, unknown>;
    await context.close();
    return { claims, visited };
  }

  /** What a target app got from a delegated sign-in, checked the same way for both SDKs. */
  function expectDelegatedSignIn({ claims, visited }: { claims: Record<string, unknown>; visited: string[] }, clientId: string): void {
    expect(claims).toMatchObject({ iss: issuer, aud: clientId, sub: 'demo', act: { sub: 'other' } });
    expect(claims.amr).toEqual(expect.arrayContaining(['session_transfer', 'session_delegation']));
    // Signed in without a login form or any other page of the provider's.
    expect(visited.some((address) => address.includes('/interaction/'))).toBe(false);
  }

  it('@auth0/auth0-server-js: requestSessionTransferToken() with the session\'s agent as actor, buildSessionTransferRedirect(), a server-js target signed in as the user with act', async () => {
    const agent = await agentSignsIn(url.sjsConsole);
    const minted = await impersonate(agent, url.sjsConsole);
    expect(minted.status()).toBe(302);
    const link = new URL(minted.headers().location!);
    expect(`${link.origin}${link.pathname}`).toBe(`${url.sjsWeb}/login`);
    expect([...link.searchParams.keys()]).toEqual(['session_transfer_token']);
    // The actor is the agent the SDK took from its own session.
    expect(subjects.at(-1)).toMatchObject({ clientId: 'sjs-console', subjectToken: 'ticket-for-demo', subjectTokenType: TICKET_TYPE, actor: { sub: 'other' } });

    expectDelegatedSignIn(await openInPrivateWindow(link.href, `${url.sjsWeb}/profile`), 'sjs-web');
    await agent.close();
  }, 30_000);

  it('express-openid-connect: req.oidc.requestSessionTransferToken() with the session\'s agent as actor, buildSessionTransferRedirect(), its documented target login route signs in as the user with act', async () => {
    const agent = await agentSignsIn(url.eocConsole);
    const minted = await impersonate(agent, url.eocConsole);
    expect(minted.status()).toBe(302);
    const link = new URL(minted.headers().location!);
    expect(`${link.origin}${link.pathname}`).toBe(`${url.eocWeb}/login`);
    expect([...link.searchParams.keys()]).toEqual(['session_transfer_token']);
    expect(subjects.at(-1)).toMatchObject({ clientId: 'eoc-console', subjectToken: 'ticket-for-demo', subjectTokenType: TICKET_TYPE, actor: { sub: 'other' } });

    expectDelegatedSignIn(await openInPrivateWindow(link.href, `${url.eocWeb}/profile`), 'eoc-web');
    await agent.close();
  }, 30_000);

  it('a console without Custom Token Exchange permission: each SDK surfaces Auth0\'s session_transfer_disabled', async () => {
    const sjsAgent = await agentSignsIn(url.sjsPlainConsole);
    const sjsRefused = await impersonate(sjsAgent, url.sjsPlainConsole);
    expect(sjsRefused.status()).toBe(400);
    // server-js keeps the server's error code in cause.error (its TokenExchangeErrorCode names it).
    expect(await sjsRefused.json()).toMatchObject({ name: 'TokenExchangeError', code: 'token_exchange_error', cause: { error: 'session_transfer_disabled' } });
    await sjsAgent.close();

    const eocAgent = await agentSignsIn(url.eocPlainConsole);
    const eocRefused = await impersonate(eocAgent, url.eocPlainConsole);
    expect(eocRefused.status()).toBe(400);
    expect(await eocRefused.json()).toMatchObject({ status: 400, error: 'session_transfer_disabled' });
    await eocAgent.close();
  }, 30_000);
});
