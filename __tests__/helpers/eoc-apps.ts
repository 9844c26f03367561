/**
 * The express-openid-connect apps of __tests__/e2e/auth0-delegation-sdks.test.ts, as a program of
 * their own (`node --import tsx`): the SDK is CommonJS and require()s openid-client, which is ESM;
 * Node loads that natively (22.12+), Jest's module runtime only on Node 24.9+. Given ISSUER and
 * CA (the provider's certificate, PEM), it serves the console, the target web app and a console
 * without delegation on loopback ports of its own, prints them as one JSON line, and runs until
 * killed.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

import express from 'express';
import eoc, { type ConfigParams } from 'express-openid-connect';

import { asyncRoute, SCOPE, showClaims } from './sdk-apps.js';
import { fetchTrusting } from './tls.js';

// CommonJS whose exports Node's import cannot name: taken from the module object.
const { auth, requiresAuth } = eoc;
const issuer = process.env.ISSUER!;
const ca = process.env.CA!;

function config(clientId: string, origin: string): ConfigParams {
  return {
    issuerBaseURL: issuer,
    baseURL: origin,
    clientID: clientId,
    clientSecret: `${clientId}-secret`,
    secret: randomBytes(32).toString('base64url'),
    authRequired: false,
    authorizationParams: { response_type: 'code', scope: SCOPE },
    customFetch: fetchTrusting(ca),
  };
}

/** The support console, as its examples/cte-session-transfer.js initiator. */
function consoleApp(clientId: string, origin: string, targetLoginUrl: string): express.Express {
  const app = express();
  app.use(auth(config(clientId, origin)));
  app.get('/', requiresAuth(), (req, res) => showClaims(res, req.oidc.user));
  app.post('/impersonate', requiresAuth(), express.urlencoded({ extended: false }), asyncRoute(async (req, res) => {
    try {
      // No actor_token given: the SDK sends the ID token of the agent's own session.
      const result = await req.oidc.requestSessionTransferToken!({ subject_token: String(req.body.ticket), subject_token_type: 'urn:example:support-ticket' });
      res.redirect(req.oidc.buildSessionTransferRedirect!(targetLoginUrl, result));
    } catch (err) {
      const { name, status, error, error_description: description } = err as { name: string; status?: number; error?: string; error_description?: string };
      res.status(400).json({ name, status, error, error_description: description });
    }
  }));
  return app;
}

/** The target web app: its examples/cte-session-transfer.js custom login route. */
function targetApp(clientId: string, origin: string): express.Express {
  const app = express();
  app.use(auth({ ...config(clientId, origin), routes: { login: false } }));
  app.get('/login', asyncRoute(async (req, res) => {
    const token = req.query.session_transfer_token;
    // returnTo: not back to this URL, which holds the spent token.
    await res.oidc.login({ authorizationParams: typeof token === 'string' ? { session_transfer_token: token } : {}, returnTo: '/profile' });
  }));
  app.get('/profile', requiresAuth(), (req, res) => showClaims(res, req.oidc.idTokenClaims));
  return app;
}

/** An app on a port of its own; its origin is `http://localhost:<port>`, apart from the provider's host. */
async function serve(make: (origin: string) => express.Express): Promise<string> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const origin = `http://localhost:${(server.address() as AddressInfo).port}`;
  server.on('request', make(origin));
  return origin;
}

const eocWeb = await serve((origin) => targetApp('eoc-web', origin));
const eocConsole = await serve((origin) => consoleApp('eoc-console', origin, `${eocWeb}/login`));
const eocPlainConsole = await serve((origin) => consoleApp('eoc-plain-console', origin, `${eocWeb}/login`));
console.log(JSON.stringify({ eocWeb, eocConsole, eocPlainConsole }));
