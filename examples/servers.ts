/**
 * Starts the example identity provider and web app, as `npm start` runs them. Both servers listen
 * before the apps are built, so port 0 takes any free port and the URLs use the port it got.
 */
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { createIdentityProvider, type ExampleIdentityProvider, type ExampleOptions } from './idp/app.js';
import { createWebApp } from './web/app.js';

/** A URL, or how to make one from the port a server got. */
type Address = string | ((port: number) => string);

export interface ExampleServersOptions extends Omit<ExampleOptions, 'issuer' | 'webAppUrl'> {
  /** The provider's port; 0 for any free one. */
  port: number;
  /** The web app's port; 0 for any free one. */
  webPort: number;
  /** Interface to listen on. Default: every interface, IPv4 and IPv6, as `npm start`. */
  host?: string;
  /** Default `http://localhost:<port>`. */
  issuer?: Address;
  /** Default `http://localhost:<webPort>`. */
  webUrl?: Address;
}

export interface ExampleServers extends ExampleIdentityProvider {
  issuer: string;
  webUrl: string;
  /** The ports the provider and the web app listen on. */
  ports: { idp: number; web: number };
  close(): Promise<void>;
}

async function listen(port: number, host: string | undefined): Promise<Server> {
  const server = createServer();
  server.listen(port, host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([err]) => { throw err; })]);
  return server;
}

/**
 * How `npm start` runs the provider: it answers the Auth0 SDKs as they are (`auth0Compatible`),
 * and its issuer ends with "/", as Auth0's do: Auth0.swift, Auth0.Android and auth0-spa-js compare
 * the ID token's `iss` with `https://<domain>/`.
 */
export const AUTH0_SDK_READY = {
  issuer: (port: number) => `http://localhost:${port}/`,
  auth0Compatible: true,
} as const;

const resolve = (address: Address | undefined, port: number) =>
  typeof address === 'function' ? address(port) : address ?? `http://localhost:${port}`;

export async function startExampleServers({ port, webPort, host, issuer: issuerAddress, webUrl: webAddress, ...idpOptions }: ExampleServersOptions): Promise<ExampleServers> {
  const idpServer = await listen(port, host);
  const webServer = await listen(webPort, host).catch((err: unknown) => {
    idpServer.close();
    throw err;
  });
  const ports = { idp: (idpServer.address() as AddressInfo).port, web: (webServer.address() as AddressInfo).port };
  const issuer = resolve(issuerAddress, ports.idp);
  const webUrl = resolve(webAddress, ports.web);

  const close = async () => {
    await Promise.all([idpServer, webServer].map((server) => new Promise((done) => {
      server.close(done);
      server.closeAllConnections();
    })));
  };
  let idp: ExampleIdentityProvider;
  try {
    idp = createIdentityProvider({ ...idpOptions, issuer, webAppUrl: webUrl });
  } catch (err) {
    // A refused configuration (a client's settings, say) leaves no server listening.
    await close();
    throw err;
  }
  idpServer.on('request', idp.app);
  webServer.on('request', createWebApp({ issuer, baseUrl: webUrl }));
  return { ...idp, issuer, webUrl, ports, close };
}
