/**
 * ExternalDNS's IRSA policy. Upstream's (kubernetes-sigs/external-dns@v0.21.0:docs/tutorials/aws.md,
 * "IAM Policy"): ChangeResourceRecordSets, ListResourceRecordSets and ListTagsForResources on
 * `hostedzone/*`, ListHostedZones on `*`. tap narrows it to what v0.21.0's AWS provider calls with
 * tap's flags (provider/aws/aws.go at v0.21.0):
 * - ListHostedZones (L406, every zone list; it has no resource type, so `*`);
 * - ListResourceRecordSets on the one zone (L512, the records it reads);
 * - ChangeResourceRecordSets on the one zone, only for the names tap's public services own and
 *   their registry TXT records (`a-`, `aaaa-`, `cname-` + the first label: registry/mapper/
 *   mapper.go L88-110 at v0.21.0, the only TXT format it writes), only A, AAAA and TXT records
 *   (an ALB alias is A, dual-stack adds AAAA), and only CREATE and UPSERT with `policy:
 *   upsert-only` (DELETE too with `sync`);
 * - no ListTagsForResources: it is called only with a zone tag filter (L438, L1200), which tap
 *   does not set.
 * A tenant's own Ingress naming another host in the zone therefore cannot get a record, and from
 * Kubernetes 1.30 one naming a tap public service's host is refused at admission (the `alb` class
 * admits only tap's Ingresses: lib/addons/load-balancer-controller/ingress-policy.ts).
 */
import { AwsScope, PolicyDocument, PolicyStatement } from "../../iam/policy";
import { ExternalDnsPolicy } from "../../capabilities";

/** The TXT registry's record-type prefixes (lowercased record types, mapper.go ToTXTName). */
const TXT_PREFIXES = ["a-", "aaaa-", "cname-"] as const;

/** The record types an ALB's alias (A; AAAA when dual-stack) and the TXT registry need. */
export const EXTERNAL_DNS_RECORD_TYPES = ["A", "AAAA", "TXT"] as const;

/** Every record name ExternalDNS writes for `host`: the host and its registry TXT names. */
export function recordNames(host: string): string[] {
  const [first, ...rest] = host.toLowerCase().split(".");
  const domain = rest.join(".");
  return [
    host.toLowerCase(),
    ...TXT_PREFIXES.map((p) => (domain ? `${p}${first}.${domain}` : `${p}${first}`)),
  ];
}

/** The Route 53 change actions a policy sends (upsert-only never deletes). */
export function changeActions(policy: ExternalDnsPolicy): string[] {
  return policy === "sync" ? ["CREATE", "UPSERT", "DELETE"] : ["CREATE", "UPSERT"];
}

export function externalDnsPolicy(
  scope: AwsScope,
  zoneId: string,
  hosts: readonly string[],
  policy: ExternalDnsPolicy,
  /** The zone's name (Route 53's, no trailing dot): sync deletes under it. */
  zoneName?: string,
): PolicyDocument {
  const zoneArn = `arn:${scope.partition}:route53:::hostedzone/${zoneId}`;
  const statements: PolicyStatement[] = [
    { Sid: "ListZones", Effect: "Allow", Action: ["route53:ListHostedZones"], Resource: "*" },
    {
      Sid: "ReadZoneRecords",
      Effect: "Allow",
      Action: ["route53:ListResourceRecordSets"],
      Resource: zoneArn,
    },
  ];
  // No public service: nothing to write (the statement would name no record).
  if (hosts.length > 0) {
    statements.push({
      Sid: "ChangeServiceRecords",
      Effect: "Allow",
      Action: ["route53:ChangeResourceRecordSets"],
      Resource: zoneArn,
      Condition: {
        "ForAllValues:StringEquals": {
          "route53:ChangeResourceRecordSetsNormalizedRecordNames": hosts.flatMap(recordNames),
          "route53:ChangeResourceRecordSetsRecordTypes": [...EXTERNAL_DNS_RECORD_TYPES],
          "route53:ChangeResourceRecordSetsActions": changeActions(policy),
        },
      },
    });
  }
  // sync: a removed service's records are deleted after its name left the list above (the same
  // `pulumi up` drops both), so deleting is allowed for any name in the zone; ExternalDNS deletes
  // only records its TXT registry says it owns (owner = this cluster).
  if (policy === "sync" && zoneName !== undefined) {
    statements.push({
      Sid: "DeleteOwnedRecords",
      Effect: "Allow",
      Action: ["route53:ChangeResourceRecordSets"],
      Resource: zoneArn,
      Condition: {
        "ForAllValues:StringLike": {
          "route53:ChangeResourceRecordSetsNormalizedRecordNames": [`*.${zoneName.toLowerCase()}`],
        },
        "ForAllValues:StringEquals": {
          "route53:ChangeResourceRecordSetsRecordTypes": [...EXTERNAL_DNS_RECORD_TYPES],
          "route53:ChangeResourceRecordSetsActions": ["DELETE"],
        },
      },
    });
  }
  return { Version: "2012-10-17", Statement: statements };
}
