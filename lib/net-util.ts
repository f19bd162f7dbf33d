/** IPv4 CIDR arithmetic for validation and subnet sizing (pure functions). */

const CIDR_RE = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/;

function parse(cidr: string): { address: number; prefix: number } | undefined {
  const m = CIDR_RE.exec(cidr);
  if (!m) return undefined;
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return undefined;
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  return { address, prefix };
}

/** True for a well-formed IPv4 CIDR whose host bits are zero (10.0.0.0/16, not 10.0.0.1/16). */
export function isIpv4Cidr(cidr: string): boolean {
  const parsed = parse(cidr);
  if (!parsed) return false;
  const hostBits = 32 - parsed.prefix;
  return parsed.address % 2 ** hostBits === 0;
}

/** Whether two IPv4 CIDRs share any address (one contains the other's start, or the reverse). */
export function cidrsOverlap(a: string, b: string): boolean {
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return false;
  const end = (c: { address: number; prefix: number }) => c.address + 2 ** (32 - c.prefix) - 1;
  return x.address <= end(y) && y.address <= end(x);
}

/** The prefix length of a CIDR (16 for 10.0.0.0/16). */
export function cidrPrefix(cidr: string): number {
  const parsed = parse(cidr);
  if (!parsed) throw new Error(`not an IPv4 CIDR: ${cidr}`);
  return parsed.prefix;
}

/**
 * Subnet masks for a VPC of the given prefix, sized so up to 4 AZs fit with room to spare:
 * private subnets get 1/8 of the VPC each (pods take VPC IPs with the VPC CNI), public 1/16 each,
 * the database's data subnets (tap:addons.database) 1/64 each. With 4 AZs that uses 3/4 (13/16
 * with data subnets) of the VPC. A /16 gives /19 private, /20 public and /22 data subnets; a /20,
 * /26 data subnets (62 addresses: an Aurora cluster needs a few).
 */
export function subnetMasks(vpcPrefix: number): { private: number; public: number; data: number } {
  return { private: vpcPrefix + 3, public: vpcPrefix + 4, data: vpcPrefix + 6 };
}
