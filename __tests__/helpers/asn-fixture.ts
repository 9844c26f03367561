import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/** MaxMind's GeoLite2-ASN test database, shipped beside the project in ../shared (not copied in). */
export const ASN_FIXTURE = resolve('../shared/fixtures/asn/GeoLite2-ASN-Test.mmdb');

/**
 * Whether tests that need the fixture can run. Without it they are skipped with a message
 * naming the path, except in CI (`CI=true`), where a missing fixture is a failure.
 */
export function asnFixtureAvailable(): boolean {
  if (existsSync(ASN_FIXTURE)) return true;
  if (process.env.CI === 'true') throw new Error(`the ASN test database is missing at ${ASN_FIXTURE}`);
  console.warn(`skipping ASN database tests: ${ASN_FIXTURE} not found`);
  return false;
}
