/**
 * The recovery region's settings (`tap:dr`, off by default: `{ region, vpcCidr }`), parsed and
 * checked before anything exists: a region that is not the primary, a VPC CIDR the primary's does
 * not overlap (peered VPCs must not), and no capability the recovery region does not build. Pure.
 */
import { show, vpcCidrProblem } from "./config-parse";
import { cidrsOverlap, isIpv4Cidr } from "./net-util";

export interface DrConfig {
  /** The recovery region, e.g. us-west-2. */
  readonly region: string;
  /** Its VPC's IPv4 CIDR (/16 to /20), disjoint from tap:vpcCidr. */
  readonly vpcCidr: string;
}

/** An AWS region name: us-west-2, eu-central-1, ap-southeast-4, us-gov-west-1. */
const REGION_RE = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;

export function parseDr(
  raw: unknown,
  context: {
    readonly vpcCidr: string;
    /** The primary region (the stack's aws:region), when known. */
    readonly primaryRegion?: string;
    /** Capabilities on in the primary that the recovery region cannot mirror (and why). */
    readonly refused: readonly { readonly key: string; readonly why: string }[];
  },
  fail: (key: string, reason: string) => void,
): DrConfig | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    fail(
      "dr",
      `tap:dr must be { region, vpcCidr }, e.g. { "region": "us-west-2", "vpcCidr": "10.1.0.0/16" } (got ${show(raw)})`,
    );
    return undefined;
  }
  const v = raw as Record<string, unknown>;
  if (Object.keys(v).length === 0) return undefined;
  const unknown = Object.keys(v).filter((k) => k !== "region" && k !== "vpcCidr");
  if (unknown.length > 0) {
    fail("dr", `tap:dr has unknown settings ${unknown.join(", ")}; allowed: region, vpcCidr`);
    return undefined;
  }
  let ok = true;
  const region = v.region;
  if (typeof region !== "string" || !REGION_RE.test(region)) {
    ok = false;
    fail("dr.region", `tap:dr.region must be an AWS region like us-west-2 (got ${show(region)})`);
  } else if (context.primaryRegion !== undefined && region === context.primaryRegion) {
    ok = false;
    fail(
      "dr.region",
      `tap:dr.region must be another region than the stack's (aws:region ${context.primaryRegion}): a recovery region in the same region fails with it (got ${show(region)})`,
    );
  }
  const cidr = v.vpcCidr;
  const badCidr = vpcCidrProblem("dr.vpcCidr", cidr, "10.1.0.0/16");
  if (badCidr) {
    ok = false;
    fail("dr.vpcCidr", badCidr);
  } else if (isIpv4Cidr(context.vpcCidr) && cidrsOverlap(cidr as string, context.vpcCidr)) {
    ok = false;
    fail(
      "dr.vpcCidr",
      `tap:dr.vpcCidr ${cidr} overlaps tap:vpcCidr ${context.vpcCidr}: peered VPCs need disjoint CIDRs (pick e.g. 10.1.0.0/16)`,
    );
  }
  for (const r of context.refused) {
    ok = false;
    fail(r.key, `${r.why}; turn it off or tap:dr off`);
  }
  return ok ? { region: region as string, vpcCidr: cidr as string } : undefined;
}
