/**
 * The front door's settings (`tap:addons.edge`): the frontend's domain and its CloudFront
 * certificate, the WAF rate limit and the CloudFront price class. Pure, read by the config
 * contract before anything exists.
 */
import { show } from "../../config-parse";

export const PRICE_CLASSES = ["PriceClass_100", "PriceClass_200", "PriceClass_All"] as const;
export type PriceClass = (typeof PRICE_CLASSES)[number];

export interface EdgeSettings {
  /** The frontend's own name (a CNAME to the distribution), with certificateArn. */
  readonly domainName?: string;
  /** An ACM certificate in us-east-1 (CloudFront's region) for domainName. */
  readonly certificateArn?: string;
  /** Requests per client IP per 5 minutes before WAF blocks it (both web ACLs). */
  readonly rateLimit: number;
  readonly priceClass: PriceClass;
}

export const DEFAULT_EDGE_SETTINGS: EdgeSettings = {
  rateLimit: 2000,
  priceClass: "PriceClass_100",
};

export const EDGE_SETTING_DOCS: Readonly<Record<keyof EdgeSettings, string>> = {
  domainName:
    "the frontend's domain, e.g. www.example.com (with certificateArn; default none: the *.cloudfront.net name)",
  certificateArn:
    "an ACM certificate in us-east-1 covering domainName (with domainName): TLS 1.2 minimum",
  rateLimit:
    "requests per client IP per 5 minutes before WAF blocks it, 100-2000000000 (default 2000)",
  priceClass: `CloudFront's edge locations: ${PRICE_CLASSES.join(", ")} (default PriceClass_100, the cheapest)`,
};

const DOMAIN_RE = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;
const US_EAST_1_ACM_RE = /^arn:aws(-[a-z]+)*:acm:us-east-1:[0-9]{12}:certificate\/[A-Za-z0-9-]+$/;

export function parseEdgeSettings(
  value: Readonly<Record<string, unknown>>,
  fail: (key: string, reason: string) => void,
): EdgeSettings {
  const d = DEFAULT_EDGE_SETTINGS;
  const key = (k: string) => `addons.edge.${k}`;
  let domainName: string | undefined;
  if (value.domainName !== undefined) {
    if (typeof value.domainName === "string" && DOMAIN_RE.test(value.domainName))
      domainName = value.domainName;
    else
      fail(
        key("domainName"),
        `tap:addons.edge.domainName must be a lowercase DNS name like www.example.com (got ${show(value.domainName)})`,
      );
  }
  let certificateArn: string | undefined;
  if (value.certificateArn !== undefined) {
    if (typeof value.certificateArn === "string" && US_EAST_1_ACM_RE.test(value.certificateArn))
      certificateArn = value.certificateArn;
    else
      fail(
        key("certificateArn"),
        `tap:addons.edge.certificateArn must be an ACM certificate ARN in us-east-1, the only region CloudFront reads certificates from (got ${show(value.certificateArn)})`,
      );
  }
  if ((value.domainName === undefined) !== (value.certificateArn === undefined))
    fail(
      key(value.domainName === undefined ? "domainName" : "certificateArn"),
      "tap:addons.edge.domainName and tap:addons.edge.certificateArn go together: CloudFront serves a domain of your own only with a certificate for it",
    );
  let rateLimit = d.rateLimit;
  if (value.rateLimit !== undefined) {
    const n = typeof value.rateLimit === "string" ? Number(value.rateLimit) : value.rateLimit;
    if (typeof n === "number" && Number.isInteger(n) && n >= 100 && n <= 2_000_000_000)
      rateLimit = n;
    else
      fail(
        key("rateLimit"),
        `tap:addons.edge.rateLimit must be an integer from 100 to 2000000000 (got ${show(value.rateLimit)})`,
      );
  }
  let priceClass = d.priceClass;
  if (value.priceClass !== undefined) {
    if ((PRICE_CLASSES as readonly unknown[]).includes(value.priceClass))
      priceClass = value.priceClass as PriceClass;
    else
      fail(
        key("priceClass"),
        `tap:addons.edge.priceClass must be one of ${PRICE_CLASSES.join(", ")} (got ${show(value.priceClass)})`,
      );
  }
  return {
    ...(domainName ? { domainName } : {}),
    ...(certificateArn ? { certificateArn } : {}),
    rateLimit,
    priceClass,
  };
}
