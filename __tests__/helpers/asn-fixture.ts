import { resolve } from 'node:path';

/** MaxMind's GeoLite2-ASN test database, kept in the repository with its licence. */
export const ASN_FIXTURE = resolve('__tests__/fixtures/asn/GeoLite2-ASN-Test.mmdb');
