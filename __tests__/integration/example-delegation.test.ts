/**
 * `npm run delegate` against the example: the support console signs its agent in, mints a
 * delegated token, and the link it prints signs a fresh browser in to the example web app as the
 * user, marked with the agent.
 */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';

import { Browser } from '../../examples/browser.js';
import { delegationLink, OAuthRefusal, SupportConsole } from '../../examples/console/console.js';
import { AUTH0_SDK_READY, startExampleServers, type ExampleServers } from '../../examples/servers.js';
import { MemoryStore } from '../../lib/index.js';
import { runTsx } from '../helpers/tsx-process.js';

let example: ExampleServers;
let support: SupportConsole;

beforeAll(async () => {
  // As `npm start` runs it, on loopback only.
  example = await startExampleServers({
    port: 0,
    webPort: 0,
    host: '127.0.0.1',
    issuer: (port) => `http://127.0.0.1:${port}/`,
    webUrl: (port) => `http://127.0.0.1:${port}`,
    transfer: { store: new MemoryStore(), auth0Compatible: AUTH0_SDK_READY.auth0Compatible, startupSummary: false },
  });
  support = new SupportConsole({ issuer: example.issuer });
}, 30_000);

afterAll(async () => {
  await example.close();
});

/** What the web app's profile page shows: the user's email, how the session began, the ID token's claims. */
function profile(html: string): { user?: string; badge?: string; claims: Record<string, unknown> } {
  const shown = (pattern: RegExp) => pattern.exec(html)?.[1]?.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code)));
  const claims = shown(/<pre id="claims">([^<]*)<\/pre>/);
  return {
    user: shown(/<h1 id="user">([^<]*)<\/h1>/),
    badge: shown(/<span [^>]*id="transfer">([^<]*)<\/span>/),
    claims: claims ? JSON.parse(claims) as Record<string, unknown> : {},
  };
}

/** `npm run delegate -- …args`; its exit code and output. */
function runDelegate(...args: string[]) {
  return runTsx('examples/console/cli.ts', ['--issuer', example.issuer, '--web', example.webUrl, ...args]);
}

describe('the support console\'s link', () => {
  it('signs a fresh browser in to the example web app as the user, the agent as actor in its ID token', async () => {
    const agent = await support.signIn('other@example.com', 'other');
    expect(agent.sub).toBe('other');
    const { token, expiresIn } = await support.delegate(agent, 'demo@example.com');
    expect(expiresIn).toBe(60);
    const link = delegationLink(example.webUrl, token);
    expect(link.href).toBe(`${example.webUrl}/login?session_transfer_token=${token}`);

    const page = await new Browser().open(link.href);
    expect(page.url).toBe(`${example.webUrl}/profile`);
    const { user, badge, claims } = profile(page.text);
    expect(user).toBe('demo@example.com');
    expect(badge).toBe('Opened by support agent other as this user (session delegation)');
    expect(claims).toMatchObject({ sub: 'demo', act: { sub: 'other' } });
    expect(claims.amr).toEqual(expect.arrayContaining(['session_transfer', 'session_delegation']));
  });

});

describe('refusals, as the OAuth error the provider answered', () => {
  it('a ticket for a user the example does not know, or for the agent themself: invalid_grant', async () => {
    const agent = await support.signIn('other@example.com', 'other');
    for (const user of ['nobody@example.com', 'other@example.com']) {
      const refused: unknown = await support.delegate(agent, user).catch((err: unknown) => err);
      expect(refused).toBeInstanceOf(OAuthRefusal);
      expect(refused).toMatchObject({ request: 'the token exchange', error: 'invalid_grant' });
    }
  });

  it('an altered ID token is no actor: invalid_grant', async () => {
    const agent = await support.signIn('other@example.com', 'other');
    const forged = { ...agent, idToken: `${agent.idToken.slice(0, -4)}AAAA` };
    await expect(support.delegate(forged, 'demo@example.com')).rejects.toMatchObject({ error: 'invalid_grant' });
  });

  it('a wrong password stops at the sign-in', async () => {
    await expect(support.signIn('other@example.com', 'wrong')).rejects.toThrow('sign-in failed: wrong email or password for other@example.com');
  });
});

describe('npm run delegate', () => {
  it('prints the link that signs the browser in as --user', async () => {
    const run = await runDelegate('--user', 'demo@example.com');
    expect(run.code).toBe(0);
    const link = new RegExp(`^\\s+(${example.webUrl}/login\\?session_transfer_token=\\S+)$`, 'm').exec(run.stdout)?.[1];
    expect(link).toBeDefined();
    const { user, claims } = profile((await new Browser().open(link!)).text);
    expect(user).toBe('demo@example.com');
    expect(claims.act).toEqual({ sub: 'other' });
  }, 30_000);

  it('prints the OAuth error in one line and exits 1 when the mint is refused', async () => {
    const run = await runDelegate('--user', 'nobody@example.com');
    expect(run.code).toBe(1);
    expect(run.stderr.trim().split('\n')).toEqual([
      'npm run delegate: the token exchange was refused: invalid_grant (grant request is invalid): '
        + 'the example refuses a ticket for a user it does not know (demo@example.com, other@example.com) or for the agent themself',
    ]);
  }, 30_000);
});
