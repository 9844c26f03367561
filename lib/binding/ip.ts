const IPV4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/** An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`) becomes its IPv4 address. */
export function normalizeIp(ip: string): string {
  return IPV4_MAPPED.exec(ip)?.[1] ?? ip;
}

/**
 * The two addresses `localhost` resolves to. Other loopback addresses (`127.0.0.2`) stay distinct,
 * so test networks built from them keep telling devices apart.
 */
const LOCALHOST = new Set(['127.0.0.1', '::1']);

/** Whether two (normalized) addresses are `localhost` reached over IPv4 and over IPv6. */
export function bothLocalhost(a: string, b: string): boolean {
  return LOCALHOST.has(a) && LOCALHOST.has(b);
}
