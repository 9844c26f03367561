/**
 * HTTPS on loopback for SDKs that only speak HTTPS to the provider (`@auth0/auth0-server-js` has no
 * insecure mode): a throwaway self-signed certificate made in memory, and a `fetch` that trusts
 * only it, for the SDKs' `customFetch` option. Nothing is read from or written to disk.
 */
import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { request } from 'node:https';
import { isIP } from 'node:net';

/** A DER element: tag, definite length, content. */
function der(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  const length: number[] = [];
  for (let n = body.length; n > 0; n >>= 8) length.unshift(n & 0xff);
  const header = body.length < 0x80 ? [body.length] : [0x80 | length.length, ...length];
  return Buffer.concat([Buffer.from([tag, ...header]), body]);
}

const sequence = (...content: Buffer[]) => der(0x30, ...content);

function objectId(dotted: string): Buffer {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const bytes = [40 * first! + second!];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let n = arc >> 7; n > 0; n >>= 7) base128.unshift(0x80 | (n & 0x7f));
    bytes.push(...base128);
  }
  return der(0x06, Buffer.from(bytes));
}

/** UTCTime, YYMMDDHHMMSSZ (valid to 2049). */
const utcTime = (date: Date) => der(0x17, Buffer.from(`${date.toISOString().slice(2, 19).replace(/[-T:]/g, '')}Z`));
const commonName = (cn: string) => sequence(der(0x31, sequence(objectId('2.5.4.3'), der(0x0c, Buffer.from(cn)))));
const ECDSA_SHA256 = sequence(objectId('1.2.840.10045.4.3.2'));

export interface Certificate {
  /** PEM, PKCS#8. */
  key: string;
  /** PEM X.509, self-signed; also the only certificate the test's clients trust. */
  cert: string;
}

/** A P-256 certificate for `host` (an IP address or a DNS name), valid from an hour ago for a day. */
export function selfSignedCertificate(host = '127.0.0.1'): Certificate {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const serial = randomBytes(16);
  serial[0] = (serial[0]! & 0x7f) | 0x01; // positive and minimally encoded
  const subjectAltName = isIP(host) === 4
    ? der(0x87, Buffer.from(host.split('.').map(Number)))
    : der(0x82, Buffer.from(host));
  const now = Date.now();
  const tbs = sequence(
    der(0xa0, der(0x02, Buffer.from([2]))), // v3
    der(0x02, serial),
    ECDSA_SHA256,
    commonName(host),
    sequence(utcTime(new Date(now - 3600_000)), utcTime(new Date(now + 24 * 3600_000))),
    commonName(host),
    publicKey.export({ type: 'spki', format: 'der' }),
    der(0xa3, sequence(
      sequence(objectId('2.5.29.17'), der(0x04, sequence(subjectAltName))),
      // Its own trust anchor: a CA, so OpenSSL accepts it as the root of its one-certificate chain.
      sequence(objectId('2.5.29.19'), der(0x04, sequence(der(0x01, Buffer.from([0xff]))))),
    )),
  );
  const signature = sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' });
  const cert = sequence(tbs, ECDSA_SHA256, der(0x03, Buffer.from([0]), signature)).toString('base64');
  return {
    key: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string,
    cert: `-----BEGIN CERTIFICATE-----\n${cert.match(/.{1,64}/g)!.join('\n')}\n-----END CERTIFICATE-----\n`,
  };
}

/**
 * A `fetch` over node:https that trusts `ca` alone, for an SDK's `customFetch`: the SDK's requests
 * reach the provider over TLS as they would in production, with no global trust changed.
 * Takes what the SDKs pass (a URL string or URL, a string or URLSearchParams body); no redirects.
 */
export function fetchTrusting(ca: string): typeof fetch {
  return (async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    if (input instanceof Request) throw new TypeError('fetchTrusting takes a URL, not a Request');
    const headers = new Headers(init.headers);
    let body: string | undefined;
    if (init.body instanceof URLSearchParams) {
      body = init.body.toString();
      if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    } else if (typeof init.body === 'string' || init.body == null) {
      body = init.body ?? undefined;
    } else {
      throw new TypeError('fetchTrusting sends string or URLSearchParams bodies only');
    }
    return new Promise((resolve, reject) => {
      const req = request(new URL(input), { method: init.method ?? 'GET', headers: Object.fromEntries(headers), ca, signal: init.signal ?? undefined }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const responseHeaders = new Headers();
          for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
          const status = res.statusCode!;
          resolve(new Response(status === 204 || status === 304 ? null : Buffer.concat(chunks), { status, statusText: res.statusMessage, headers: responseHeaders }));
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  }) as typeof fetch;
}
