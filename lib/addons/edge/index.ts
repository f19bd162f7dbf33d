/**
 * The front door (tap:addons.edge). The frontend: a private S3 bucket (lib/storage.ts; SSE-S3: its
 * objects are served to every browser, so a customer key would only add CloudFront's key grant
 * and KMS requests) read only by its CloudFront distribution through origin access control, served
 * over HTTPS (TLS 1.2 minimum with a certificate of your own), with security headers (HSTS,
 * nosniff, frame DENY, referrer policy), compressed and cached by AWS's CachingOptimized policy,
 * index.html for unknown paths (a single-page app routes itself). AWS WAF in front of it: a
 * CloudFront-scope web ACL, created in us-east-1 whatever the stack's region, with AWS's common and
 * known-bad-inputs rule groups and a per-IP rate limit, logging to CloudWatch Logs (a key of its
 * own in us-east-1). With the load balancer controller on, a regional web ACL with the same rules
 * for the API's ALBs, attached by the controller from the public services' Ingress annotation.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsScope } from "../../iam/irsa";
import { mergeTags, nameTag } from "../../naming";
import { createPrivateBucket } from "../../storage";
import { AddonContext } from "../types";
import { edgeLogKeyPolicy, frontendBucketPolicy } from "./policy";
import { API_RULE_OVERRIDES, EDGE_ACL_ROLES, wafLogGroupName, wafRules } from "./waf";

export * from "./policy";
export * from "./waf";

/** Where CloudFront's web ACL must be created, whatever the stack's region. */
export const CLOUDFRONT_REGION = "us-east-1";

export const EDGE_DEFAULTS = {
  /** AWS's managed cache policy for static content (gzip and brotli on). */
  cachePolicy: "Managed-CachingOptimized",
  minimumTlsVersion: "TLSv1.2_2021",
  hstsMaxAgeSeconds: 63_072_000,
  originId: "frontend",
  indexDocument: "index.html",
} as const;

/** The frontend's bucket name (global: account-qualified). */
export const frontendBucketName = (suffix: string, accountId: string): string =>
  `tap-frontend-${suffix}-${accountId}`;

export interface EdgeResult {
  readonly bucket: aws.s3.Bucket;
  readonly distribution: aws.cloudfront.Distribution;
  readonly cloudfrontAcl: aws.wafv2.WebAcl;
  /** The API's web ACL (load balancer controller on): its ARN goes on the ALB Ingresses. */
  readonly regionalAcl?: aws.wafv2.WebAcl;
  readonly url: pulumi.Output<string>;
  /** What uploads a build and makes CloudFront serve it. */
  readonly uploadCommand: pulumi.Output<string>;
}

export function deployEdge(
  ctx: AddonContext,
  args: { readonly kmsKeyArn: pulumi.Input<string> },
): EdgeResult {
  const opts = { parent: ctx.parent };
  const settings = ctx.config.addonSettings.edge;
  const suffix = ctx.config.environmentSuffix;
  const roles = EDGE_ACL_ROLES;
  const scope = awsScope(ctx.parent);
  const frontend = createPrivateBucket(ctx, "tap-frontend", {
    bucket: scope.apply((s) => frontendBucketName(suffix, s.accountId)),
  });

  // CloudFront's web ACL, its log group and that group's key exist in us-east-1 only: each gets
  // the region as an input (@pulumi/aws 7), on the stack's own provider and credentials.
  const cloudfrontAcl = webAcl(
    ctx,
    roles.cloudfront,
    "CLOUDFRONT",
    settings.rateLimit,
    CLOUDFRONT_REGION,
  );
  const cloudfrontLogs = wafLogGroupName(ctx.name(roles.cloudfront));
  const logKey = new aws.kms.Key(
    ctx.name("tap-edge-logs-kms"),
    {
      description: `tap ${suffix}: CloudFront's WAF log group (us-east-1)`,
      enableKeyRotation: true,
      deletionWindowInDays: 7,
      policy: scope.apply((s) => JSON.stringify(edgeLogKeyPolicy(s, cloudfrontLogs))),
      tags: mergeTags(ctx.tags, nameTag(ctx.name("tap-edge-logs-kms"))),
      region: CLOUDFRONT_REGION,
    },
    opts,
  );
  logWebAcl(ctx, cloudfrontAcl, roles.cloudfront, logKey.arn, CLOUDFRONT_REGION);

  const oac = new aws.cloudfront.OriginAccessControl(
    ctx.name("tap-frontend-oac"),
    {
      name: ctx.name("tap-frontend"),
      description: "tap's frontend bucket, signed requests only",
      originAccessControlOriginType: "s3",
      signingBehavior: "always",
      signingProtocol: "sigv4",
    },
    opts,
  );
  const headers = new aws.cloudfront.ResponseHeadersPolicy(
    ctx.name("tap-frontend-headers"),
    {
      name: ctx.name("tap-frontend"),
      comment: "HSTS, nosniff, frame DENY, strict referrer",
      securityHeadersConfig: {
        strictTransportSecurity: {
          accessControlMaxAgeSec: EDGE_DEFAULTS.hstsMaxAgeSeconds,
          includeSubdomains: true,
          preload: true,
          override: true,
        },
        contentTypeOptions: { override: true },
        frameOptions: { frameOption: "DENY", override: true },
        referrerPolicy: { referrerPolicy: "strict-origin-when-cross-origin", override: true },
      },
    },
    opts,
  );
  const cachePolicy = aws.cloudfront.getCachePolicyOutput(
    { name: EDGE_DEFAULTS.cachePolicy },
    opts,
  );
  const distribution = new aws.cloudfront.Distribution(
    ctx.name("tap-frontend"),
    {
      enabled: true,
      comment: `tap ${suffix}: the frontend`,
      isIpv6Enabled: true,
      httpVersion: "http2and3",
      priceClass: settings.priceClass,
      defaultRootObject: EDGE_DEFAULTS.indexDocument,
      ...(settings.domainName ? { aliases: [settings.domainName] } : {}),
      webAclId: cloudfrontAcl.arn,
      origins: [
        {
          originId: EDGE_DEFAULTS.originId,
          domainName: frontend.bucket.bucketRegionalDomainName,
          originAccessControlId: oac.id,
        },
      ],
      defaultCacheBehavior: {
        targetOriginId: EDGE_DEFAULTS.originId,
        viewerProtocolPolicy: "redirect-to-https",
        allowedMethods: ["GET", "HEAD", "OPTIONS"],
        cachedMethods: ["GET", "HEAD"],
        compress: true,
        cachePolicyId: cachePolicy.apply((p) => {
          if (!p.id) throw new Error(`CloudFront has no cache policy ${EDGE_DEFAULTS.cachePolicy}`);
          return p.id;
        }),
        responseHeadersPolicyId: headers.id,
      },
      // A single-page app: unknown paths (S3's 404: the distribution may list) get index.html.
      // Not 403: that is WAF's block, which must stay a 403.
      customErrorResponses: [
        {
          errorCode: 404,
          responseCode: 200,
          responsePagePath: `/${EDGE_DEFAULTS.indexDocument}`,
          errorCachingMinTtl: 10,
        },
      ],
      restrictions: { geoRestriction: { restrictionType: "none" } },
      viewerCertificate: settings.certificateArn
        ? {
            acmCertificateArn: settings.certificateArn,
            sslSupportMethod: "sni-only",
            minimumProtocolVersion: EDGE_DEFAULTS.minimumTlsVersion,
          }
        : { cloudfrontDefaultCertificate: true },
      tags: ctx.tags,
    },
    opts,
  );
  frontend.setPolicy((bucketArn) =>
    distribution.arn.apply((arn) => frontendBucketPolicy(bucketArn, arn)),
  );

  let regionalAcl: aws.wafv2.WebAcl | undefined;
  if (ctx.config.addons.loadBalancerController) {
    regionalAcl = webAcl(ctx, roles.regional, "REGIONAL", settings.rateLimit);
    logWebAcl(ctx, regionalAcl, roles.regional, args.kmsKeyArn);
  }
  const host = settings.domainName ? pulumi.output(settings.domainName) : distribution.domainName;
  return {
    bucket: frontend.bucket,
    distribution,
    cloudfrontAcl,
    ...(regionalAcl ? { regionalAcl } : {}),
    url: pulumi.interpolate`https://${host}`,
    uploadCommand: pulumi.interpolate`aws s3 sync ./dist s3://${frontend.bucket.bucket} --delete && aws cloudfront create-invalidation --distribution-id ${distribution.id} --paths '/*'`,
  };
}

function webAcl(
  ctx: AddonContext,
  role: string,
  scope: "CLOUDFRONT" | "REGIONAL",
  rateLimit: number,
  /** Where it lives when not the stack's region (CloudFront's: us-east-1). */
  region?: string,
): aws.wafv2.WebAcl {
  const name = ctx.name(role);
  return new aws.wafv2.WebAcl(
    ctx.name(`${role}-waf`),
    {
      name,
      description: `tap ${ctx.config.environmentSuffix}: ${scope === "CLOUDFRONT" ? "the frontend" : "the API's load balancers"}`,
      scope,
      defaultAction: { allow: {} },
      rules: wafRules(rateLimit, name, scope === "REGIONAL" ? API_RULE_OVERRIDES : []),
      visibilityConfig: {
        cloudwatchMetricsEnabled: true,
        metricName: name,
        sampledRequestsEnabled: true,
      },
      tags: ctx.tags,
      ...(region ? { region } : {}),
    },
    { parent: ctx.parent },
  );
}

/** A web ACL's log group (tap's retention and the given key) and its logging configuration. */
function logWebAcl(
  ctx: AddonContext,
  acl: aws.wafv2.WebAcl,
  role: string,
  kmsKeyArn: pulumi.Input<string>,
  region?: string,
): void {
  const opts = { parent: ctx.parent };
  const where = region ? { region } : {};
  const group = new aws.cloudwatch.LogGroup(
    ctx.name(`${role}-waf-logs`),
    {
      name: wafLogGroupName(ctx.name(role)),
      retentionInDays: ctx.config.logRetentionDays,
      kmsKeyId: kmsKeyArn,
      tags: ctx.tags,
      ...where,
    },
    opts,
  );
  new aws.wafv2.WebAclLoggingConfiguration(
    ctx.name(`${role}-waf-logging`),
    { resourceArn: acl.arn, logDestinationConfigs: [group.arn], ...where },
    opts,
  );
}
