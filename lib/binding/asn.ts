/** What an ASN resolver knows of one address. */
export interface AsnInfo {
  /** Autonomous system number, e.g. 7018. */
  asn: number;
  /** The network's organisation, when the database names it. */
  organization?: string;
}

/**
 * Looks up the autonomous system of an IP address; `null` when the address is unknown. Used to
 * record the minting device's ASN and, for `enforce_device_binding: "asn"`, to compare it.
 */
export interface AsnResolver {
  lookup(ip: string): AsnInfo | null | Promise<AsnInfo | null>;
}
