/**
 * A minimal cookie-keeping HTTP client that follows redirects the way a browser does; enough for
 * the native-app simulator and the demo to walk login forms. Not a real browser.
 */
export interface Page {
  url: string;
  status: number;
  text: string;
}

export class Browser {
  /** Cookies by host (port ignored, as browsers do), name → value. */
  readonly #cookies = new Map<string, Map<string, string>>();

  setCookie(url: string, name: string, value: string): void {
    const host = new URL(url).hostname;
    const jar = this.#cookies.get(host) ?? new Map<string, string>();
    jar.set(name, value);
    this.#cookies.set(host, jar);
  }

  #remember(url: URL, response: Response): void {
    for (const header of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = header.split(';');
      const at = pair.indexOf('=');
      const [name, value] = [pair.slice(0, at).trim(), pair.slice(at + 1).trim()];
      const expired = attributes.some((a) => /^\s*expires=Thu, 01 Jan 1970/i.test(a)) || value === '';
      const jar = this.#cookies.get(url.hostname) ?? new Map<string, string>();
      if (expired) jar.delete(name);
      else jar.set(name, value);
      this.#cookies.set(url.hostname, jar);
    }
  }

  /** The Cookie header this browser sends to `url`. */
  cookieHeader(url: string | URL): string {
    const jar = this.#cookies.get(new URL(url).hostname);
    return jar ? [...jar].map(([name, value]) => `${name}=${value}`).join('; ') : '';
  }

  async #send(url: URL, init: RequestInit): Promise<Response> {
    const cookie = this.cookieHeader(url);
    const response = await fetch(url, { ...init, redirect: 'manual', headers: { ...init.headers, ...(cookie ? { cookie } : {}) } });
    this.#remember(url, response);
    return response;
  }

  /**
   * Requests `url` and follows redirects until a page answers, or a redirect leaves HTTP (a
   * native app's custom scheme) or goes to `stopAt` (a callback to hand to the app), whose URL is
   * then returned with status 0.
   */
  async open(url: string, form?: Record<string, string>, stopAt?: string): Promise<Page> {
    let target = new URL(url);
    let init: RequestInit = form
      ? { method: 'POST', body: new URLSearchParams(form), headers: { 'content-type': 'application/x-www-form-urlencoded' } }
      : { method: 'GET' };
    for (let hops = 0; hops < 20; hops += 1) {
      const response = await this.#send(target, init);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) {
        return { url: target.href, status: response.status, text: await response.text() };
      }
      await response.body?.cancel();
      target = new URL(location, target);
      if (!target.protocol.startsWith('http') || (stopAt && target.href.startsWith(stopAt))) {
        return { url: target.href, status: 0, text: '' };
      }
      init = { method: 'GET' };
    }
    throw new Error(`too many redirects from ${url}`);
  }
}
