import type { IncomingMessage } from 'node:http';
import { Readable } from 'node:stream';

import type { Middleware, ParameterizedContext } from 'koa';

import { REFRESH_TOKEN_TYPE, TOKEN_EXCHANGE_GRANT } from '../options.js';

/** oidc-provider's own body limit; larger bodies are left for it to refuse. */
const BODY_LIMIT = 56 * 1024;
const FORM = 'application/x-www-form-urlencoded';
/** Parameters the translation sets itself; a caller's values for them are dropped. */
const REPLACED = new Set([
  'grant_type', 'refresh_token', 'audience', 'subject_token', 'subject_token_type', 'requested_token_type',
]);

export interface TranslatorOptions {
  /** The token endpoint path relative to the provider's mount point. */
  tokenPath: string;
  /** Paths (relative to the mount point) at which any JSON body is read as a form. */
  jsonPaths: ReadonlySet<string>;
  /** The logout endpoint's path, where Auth0's `returnTo` is read as `post_logout_redirect_uri`; none when off. */
  endSessionPath: string | undefined;
  /** The `audience` values that mean "mint a Session Transfer Token". */
  audiences: ReadonlySet<string>;
  /**
   * Other `audience` values that look meant to mint (the issuer, a client id): the refresh runs as
   * oidc-provider answers it, and `onNearMiss` reports it.
   */
  nearMisses: ReadonlySet<string>;
  onNearMiss: (ctx: ParameterizedContext, audience: string, clientId: string | undefined) => void;
  tokenType: string;
}

/** `ctx.state` key telling the mint which request form arrived. */
export const FORM_STATE = 'sessionTransferForm';

type Body = Map<string, string[]>;

/**
 * oidc-provider's router (lib/helpers/router.js) matches a path with its case folded (upper case,
 * save characters whose upper case is ASCII) and with one trailing slash removed when nothing
 * matched: the translation must see the same requests as the same endpoint, or one it does not
 * recognise would reach the endpoint untranslated.
 */
function fold(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/^[\x00-\x7f]*$/.test(value)) return value.toUpperCase();
  let out = '';
  for (const char of value) {
    const upper = char.toUpperCase();
    out += upper.length === 1 && !(char.codePointAt(0)! > 127 && upper.codePointAt(0)! < 128) ? upper : char;
  }
  return out;
}

/** Whether the router would serve `path` as `route`. */
function sameRoute(path: string, route: string | undefined): boolean {
  if (route === undefined) return false;
  const folded = fold(route);
  return fold(path) === folded || (path.length > 1 && path.endsWith('/') && fold(path.slice(0, -1)) === folded);
}

/** The body as text in its declared charset, as oidc-provider decodes it; undefined for a charset it cannot decode either. */
function decode(raw: Buffer, charset: string): string | undefined {
  try {
    return new TextDecoder(charset || 'utf-8').decode(raw);
  } catch {
    return undefined;
  }
}
type Context = ParameterizedContext;

class BadRequest extends Error {}

async function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > BODY_LIMIT) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks, size);
}

/** A JSON object body as parameters (an array is a repeated parameter); anything but an object is undefined. */
function fromJson(raw: string): Body | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return undefined;
  const body: Body = new Map();
  for (const [key, value] of Object.entries(parsed)) {
    if (value === undefined || value === null) continue;
    body.set(key, Array.isArray(value) ? value : [value]);
  }
  return body;
}

function fromForm(raw: string): Body {
  const body: Body = new Map();
  for (const [key, value] of new URLSearchParams(raw)) {
    body.set(key, [...(body.get(key) ?? []), value]);
  }
  return body;
}

/** Any provider's session-transfer audience, as the SDKs build it from their configured domain. */
const TRANSFER_AUDIENCE = /^urn:.+:session_transfer$/;

/** Lower case, letters and digits only. */
const squash = (value: string) => value.toLowerCase().replace(/[^a-z0-9]/g, '');

type TransferKind = { kind: 'mint' } | { kind: 'foreign' } | { kind: 'near_miss'; audience: string };

/**
 * A `refresh_token` grant asking for a transfer token: `mint` with this provider's audience,
 * `foreign` with another's (an app configured with another domain), which must not run as a
 * plain refresh and rotate the app's token; `near_miss` with a value that looks meant to mint (a
 * misspelt transfer audience, the issuer, a client id), which runs as oidc-provider answers it,
 * since it is a valid resource indicator too, and is reported.
 */
function transferKind(body: Body, audiences: ReadonlySet<string>, nearMisses: ReadonlySet<string>): TransferKind | undefined {
  const grantType = body.get('grant_type');
  if (grantType?.length !== 1 || grantType[0] !== 'refresh_token') return undefined;
  const audience = (body.get('audience') ?? []).filter((value): value is string => typeof value === 'string');
  if (audience.some((value) => audiences.has(value))) return { kind: 'mint' };
  if (audience.some((value) => TRANSFER_AUDIENCE.test(value))) return { kind: 'foreign' };
  const near = audience.find((value) => nearMisses.has(value) || squash(value).includes('sessiontransfer'));
  return near === undefined ? undefined : { kind: 'near_miss', audience: near };
}

/**
 * Every value a string, as a form body can carry it; each parameter once unless `repeats` (then
 * oidc-provider decides which may repeat, as for a form).
 */
function checkStrings(body: Body, repeats: boolean): void {
  for (const [key, values] of body) {
    if (values.length > 1 && !repeats) throw new BadRequest(`parameter ${key} must not be provided twice`);
    if (values.length === 0 || values.some((value) => typeof value !== 'string')) throw new BadRequest(`parameter ${key} must be a string`);
  }
}

/** The Auth0 form's parameters as the token-exchange grant's. */
function translate(body: Body, tokenType: string): URLSearchParams {
  checkStrings(body, false);
  const refreshToken = body.get('refresh_token')?.[0];
  if (!refreshToken) throw new BadRequest('missing required parameter refresh_token');

  const params = new URLSearchParams({
    grant_type: TOKEN_EXCHANGE_GRANT,
    subject_token: refreshToken,
    subject_token_type: REFRESH_TOKEN_TYPE,
    requested_token_type: tokenType,
  });
  for (const [key, [value]] of body) {
    if (!REPLACED.has(key)) params.append(key, value!);
  }
  return params;
}

/** A JSON body's parameters as the form oidc-provider reads. */
function asForm(body: Body): URLSearchParams {
  checkStrings(body, true);
  return new URLSearchParams([...body].flatMap(([key, values]) => values.map((value): [string, string] => [key, value])));
}

/** Hands oidc-provider a request whose body stream yields `body` (ours was read already). */
function replay(ctx: Context, body: Buffer, contentType: string): void {
  const original = ctx.req;
  const headers = { ...original.headers, 'content-type': contentType, 'content-length': String(body.length) };
  delete headers['transfer-encoding'];
  const request = Object.assign(Readable.from([body], { objectMode: false }), {
    headers,
    method: original.method,
    url: original.url,
    httpVersion: original.httpVersion,
    httpVersionMajor: original.httpVersionMajor,
    httpVersionMinor: original.httpVersionMinor,
    socket: original.socket,
    connection: original.socket,
    // Express's mount information, from which oidc-provider derives its mount path.
    originalUrl: (original as { originalUrl?: string }).originalUrl,
    baseUrl: (original as { baseUrl?: string }).baseUrl,
  }) as unknown as IncomingMessage;
  ctx.req = request;
  ctx.request.req = request;
  ctx.response.req = request;
}

function badRequest(ctx: Context, description: string, error = 'invalid_request'): void {
  ctx.status = 400;
  ctx.set('cache-control', 'no-store');
  ctx.body = { error, error_description: description };
}

/** Hands oidc-provider `form` in place of the body, however the body was read. */
function deliver(ctx: Context, form: URLSearchParams, parsedUpstream: boolean): void {
  if (!parsedUpstream) {
    replay(ctx, Buffer.from(form.toString()), FORM);
    return;
  }
  // As a parsed form: a repeated parameter is an array.
  (ctx.req as { body?: unknown }).body = Object.fromEntries([...new Set(form.keys())].map((key) => {
    const values = form.getAll(key);
    return [key, values.length > 1 ? values : values[0]];
  }));
  ctx.req.headers['content-type'] = FORM;
}

/**
 * Koa middleware placed before oidc-provider's router. It turns the Auth0 SDKs' request — a
 * `refresh_token` grant with the session-transfer audience, JSON or form-encoded — into the
 * token-exchange grant that mints. At `jsonPaths` (the token and revocation endpoints, with the
 * `auth0Compatible` switch) any other JSON body becomes the form oidc-provider reads, validated
 * like one. Every other request is left exactly as it came.
 */
export function auth0RequestTranslator({
  tokenPath, jsonPaths, endSessionPath, audiences, nearMisses, onNearMiss, tokenType,
}: TranslatorOptions): Middleware {
  const expected = [...audiences].join(' or ');
  const foreign = (ctx: Context) => badRequest(ctx, `a session transfer token of this provider has the audience ${expected}`, 'invalid_target');

  return async function translateAuth0Request(ctx, next) {
    if (ctx.method === 'GET' && sameRoute(ctx.path, endSessionPath)) {
      const query = new URLSearchParams(ctx.querystring);
      const returnTo = query.get('returnTo');
      if (returnTo !== null && !query.has('post_logout_redirect_uri')) {
        query.set('post_logout_redirect_uri', returnTo);
        ctx.querystring = query.toString();
      }
      return next();
    }
    if (ctx.method !== 'POST') return next();
    const atToken = sameRoute(ctx.path, tokenPath);
    const acceptJson = [...jsonPaths].some((path) => sameRoute(ctx.path, path));
    if (!atToken && !acceptJson) return next();
    const kind = ctx.is('application/json', FORM);
    if (!kind || (kind === FORM && !atToken)) return next();
    const declared = ctx.request.length;
    if (declared !== undefined && declared > BODY_LIMIT) {
      // A form is oidc-provider's to refuse; JSON it could not read at all.
      return acceptJson && kind !== FORM ? badRequest(ctx, 'request body is too large') : next();
    }

    // An upstream body parser may have consumed the stream; oidc-provider then reads req.body.
    const parsedUpstream = !ctx.req.readable;
    let raw: Buffer | undefined;
    let body: Body | undefined;
    if (parsedUpstream) {
      const parsed = (ctx.req as { body?: unknown }).body;
      if (!parsed || typeof parsed !== 'object') return next();
      body = fromJson(JSON.stringify(parsed));
    } else {
      try {
        raw = await readBody(ctx.req);
      } catch {
        // The client broke off or sent a broken stream: a bad request, never a server error.
        return badRequest(ctx, 'failed to read the request body');
      }
      if (raw === undefined) return badRequest(ctx, 'request body is too large');
      const text = decode(raw, ctx.request.charset);
      if (text === undefined) {
        // oidc-provider refuses the charset too, with its own error.
        replay(ctx, raw, ctx.get('content-type'));
        return next();
      }
      body = kind === FORM ? fromForm(text) : fromJson(text);
    }

    let form: URLSearchParams | undefined;
    try {
      const transfer = atToken && body ? transferKind(body, audiences, nearMisses) : undefined;
      if (transfer?.kind === 'foreign') return foreign(ctx);
      if (transfer?.kind === 'near_miss') {
        const clientId = body!.get('client_id')?.[0];
        onNearMiss(ctx, transfer.audience, typeof clientId === 'string' ? clientId : undefined);
      }
      if (transfer?.kind === 'mint') {
        form = translate(body!, tokenType);
        ctx.state[FORM_STATE] = 'refresh_token';
      } else if (acceptJson && kind !== FORM) {
        if (!body) return badRequest(ctx, 'request body must be a JSON object');
        form = asForm(body);
      }
    } catch (err) {
      if (err instanceof BadRequest) return badRequest(ctx, err.message);
      throw err;
    }
    if (form) deliver(ctx, form, parsedUpstream);
    else if (raw) replay(ctx, raw, ctx.get('content-type'));
    return next();
  };
}
