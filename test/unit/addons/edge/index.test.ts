/**
 * The front door: the frontend bucket admits only its distribution (simulated), CloudFront serves
 * HTTPS with security headers and compression, both web ACLs carry AWS's common and
 * known-bad-inputs rule groups and the rate limit, CloudFront's lives in us-east-1 (an explicit
 * provider), the API's is on every public Ingress with the controller allowed to associate exactly
 * it, and WAF logs go to encrypted groups; the config reports every bad setting at once.
 */
import { PolicyDocument } from "../../../../lib/iam/policy";
import { loadBalancerControllerPolicy } from "../../../../lib/addons/load-balancer-controller/iam";
import { policies } from "../../../../policy/policies";
import { runPolicies } from "../../../../tools/policy-runner";
import { configProblems } from "../../../helpers/config";
import { simulate } from "../../../helpers/iam-sim";
import {
  ACCOUNT,
  REGION,
  RecordedResource,
  ofType,
  resourceNamed,
  synthStack,
  valueOf,
} from "../../../helpers/mocks";

const CERT = `arn:aws:acm:us-east-1:${ACCOUNT}:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;
const ON = {
  enableAppMesh: "false",
  kubernetesVersion: "1.35",
  addons: {
    loadBalancerController: true,
    edge: { domainName: "www.example.com", certificateArn: CERT, rateLimit: 500 },
  },
};
const DISTRIBUTION = `arn:aws:cloudfront::${ACCOUNT}:distribution/E2QWRUHEXAMPLE`;
const BUCKET = `arn:aws:s3:::tap-frontend-dev-${ACCOUNT}`;
const API_ACL = `arn:aws:wafv2:${REGION}:${ACCOUNT}:regional/webacl/tap-api-dev/a1b2c3d4`;

const doc = (json: unknown) => JSON.parse(String(json)) as PolicyDocument;

describe("the front door's config", () => {
  it("reports every bad setting at once, naming its key", () => {
    expect(
      configProblems({
        enableAppMesh: "false",
        addons: {
          edge: {
            domainName: "Not A Domain",
            certificateArn: `arn:aws:acm:eu-west-1:${ACCOUNT}:certificate/x`,
            rateLimit: 10,
            priceClass: "PriceClass_Cheap",
          },
        },
      }),
    ).toEqual([
      expect.stringMatching(/^tap:addons\.edge\.domainName: .*"Not A Domain"/),
      expect.stringMatching(/^tap:addons\.edge\.certificateArn: .*us-east-1.*eu-west-1/),
      expect.stringMatching(/^tap:addons\.edge\.rateLimit: .*100 to 2000000000 \(got 10\)/),
      expect.stringMatching(/^tap:addons\.edge\.priceClass: .*PriceClass_100.*"PriceClass_Cheap"/),
    ]);
    expect(
      configProblems({
        enableAppMesh: "false",
        addons: { edge: { domainName: "www.example.com" } },
      }),
    ).toEqual([expect.stringMatching(/^tap:addons\.edge\.certificateArn: .*go together/)]);
  });
});

describe("the front door on", () => {
  const synth = () => synthStack(ON);

  it("lets only its distribution read the bucket, and only over TLS", async () => {
    const { resources } = await synth();
    const policy = doc(
      resourceNamed(resources, "aws:s3/bucketPolicy:BucketPolicy", "tap-frontend-policy-dev").inputs
        .policy,
    );
    const none: PolicyDocument = { Version: "2012-10-17", Statement: [] };
    const read = (principal: string, context: Record<string, string>, action = "s3:GetObject") =>
      simulate(none, {
        action,
        resource: `${BUCKET}/index.html`,
        principal,
        context: { "aws:SecureTransport": "true", ...context },
        resourcePolicy: policy,
      });
    await expect(read("cloudfront.amazonaws.com", { "aws:SourceArn": DISTRIBUTION })).resolves.toBe(
      "Allowed",
    );
    await expect(
      read("cloudfront.amazonaws.com", {
        "aws:SourceArn": `arn:aws:cloudfront::${ACCOUNT}:distribution/EOTHER`,
      }),
    ).resolves.toBe("ImplicitlyDenied");
    await expect(
      read("cloudfront.amazonaws.com", { "aws:SourceArn": DISTRIBUTION }, "s3:PutObject"),
    ).resolves.toBe("ImplicitlyDenied");
    // Listing, so a missing path is S3's 404 (index.html) and WAF's 403 stays a 403.
    await expect(
      simulate(none, {
        action: "s3:ListBucket",
        resource: BUCKET,
        principal: "cloudfront.amazonaws.com",
        context: { "aws:SecureTransport": "true", "aws:SourceArn": DISTRIBUTION },
        resourcePolicy: policy,
      }),
    ).resolves.toBe("Allowed");
    await expect(read("arn:aws:iam::210987654321:root", {})).resolves.toBe("ImplicitlyDenied");
    await expect(
      read("cloudfront.amazonaws.com", {
        "aws:SourceArn": DISTRIBUTION,
        "aws:SecureTransport": "false",
      }),
    ).resolves.toBe("ExplicitlyDenied");
    const block = resourceNamed(
      resources,
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      "tap-frontend-public-access-dev",
    );
    expect(block.inputs).toMatchObject({
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    });
  });

  it("serves HTTPS only, TLS 1.2+ on its own name, with security headers and compression", async () => {
    const { resources } = await synth();
    const d = resourceNamed(
      resources,
      "aws:cloudfront/distribution:Distribution",
      "tap-frontend-dev",
    ).inputs;
    expect(d).toMatchObject({
      aliases: ["www.example.com"],
      defaultRootObject: "index.html",
      viewerCertificate: {
        acmCertificateArn: CERT,
        sslSupportMethod: "sni-only",
        minimumProtocolVersion: "TLSv1.2_2021",
      },
      defaultCacheBehavior: {
        viewerProtocolPolicy: "redirect-to-https",
        compress: true,
        cachePolicyId: "658327ea-f89d-4fab-a63d-7e88639e58f6",
        allowedMethods: ["GET", "HEAD", "OPTIONS"],
      },
      webAclId: `arn:aws:wafv2:us-east-1:${ACCOUNT}:global/webacl/tap-frontend-dev/a1b2c3d4`,
    });
    expect(d.customErrorResponses).toEqual([
      expect.objectContaining({
        errorCode: 404,
        responseCode: 200,
        responsePagePath: "/index.html",
      }),
    ]);
    const origin = (d.origins as { originAccessControlId: string; domainName: string }[])[0];
    expect(origin.domainName).toBe(`tap-frontend-dev-${ACCOUNT}.s3.${REGION}.amazonaws.com`);
    expect(origin.originAccessControlId).toBe("tap-frontend-oac-dev-id");
    expect(
      resourceNamed(
        resources,
        "aws:cloudfront/originAccessControl:OriginAccessControl",
        "tap-frontend-oac-dev",
      ).inputs,
    ).toMatchObject({ originAccessControlOriginType: "s3", signingBehavior: "always" });
    const headers = resourceNamed(
      resources,
      "aws:cloudfront/responseHeadersPolicy:ResponseHeadersPolicy",
      "tap-frontend-headers-dev",
    ).inputs.securityHeadersConfig as Record<string, Record<string, unknown>>;
    expect(headers.strictTransportSecurity).toMatchObject({
      accessControlMaxAgeSec: 63_072_000,
      includeSubdomains: true,
    });
    expect(headers.contentTypeOptions).toEqual({ override: true });
    expect(headers.frameOptions).toMatchObject({ frameOption: "DENY" });
    const { value } = await synth();
    await expect(valueOf(value.frontendUrl)).resolves.toBe("https://www.example.com");
    await expect(valueOf(value.frontendUploadCommand)).resolves.toMatch(
      new RegExp(
        `^aws s3 sync \\./dist s3://tap-frontend-dev-${ACCOUNT} --delete && aws cloudfront create-invalidation`,
      ),
    );
  });

  it("puts both web ACLs' rule groups and rate limit in place, CloudFront's in us-east-1", async () => {
    const { resources } = await synth();
    const acls = ofType(resources, "aws:wafv2/webAcl:WebAcl").sort((a, b) =>
      String(b.inputs.name).localeCompare(String(a.inputs.name)),
    );
    expect(acls.map((a) => [a.inputs.name, a.inputs.scope])).toEqual([
      ["tap-frontend-dev", "CLOUDFRONT"],
      ["tap-api-dev", "REGIONAL"],
    ]);
    for (const acl of acls) {
      const rules = acl.inputs.rules as {
        name: string;
        statement: Record<string, Record<string, unknown>>;
        action?: unknown;
      }[];
      expect(rules.map((r) => r.statement.managedRuleGroupStatement?.name ?? r.name)).toEqual([
        "AWSManagedRulesCommonRuleSet",
        "AWSManagedRulesKnownBadInputsRuleSet",
        "tap-rate-limit",
      ]);
      expect(rules[2]).toMatchObject({
        action: { block: {} },
        statement: { rateBasedStatement: { limit: 500, aggregateKeyType: "IP" } },
      });
      expect(acl.inputs.defaultAction).toEqual({ allow: {} });
    }
    // us-east-1 by the region input, on the stack's own provider (no second provider).
    expect(ofType(resources, "pulumi:providers:aws")).toEqual([]);
    const inUsEast1 = (r: RecordedResource) => r.inputs.region === "us-east-1";
    expect(acls.map(inUsEast1)).toEqual([true, false]);
    // The API's ACL counts oversized bodies instead of blocking them; the frontend's blocks them.
    const common = (acl: RecordedResource) =>
      (
        acl.inputs.rules as { statement: { managedRuleGroupStatement?: Record<string, unknown> } }[]
      )[0].statement.managedRuleGroupStatement;
    expect(common(acls[0])?.ruleActionOverrides).toBeUndefined();
    expect(common(acls[1])?.ruleActionOverrides).toEqual([
      { name: "SizeRestrictions_BODY", actionToUse: { count: {} } },
    ]);
    // Logs: each ACL to its aws-waf-logs- group, each group encrypted in its own region.
    const logging = ofType(
      resources,
      "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
    );
    expect(
      logging
        .map((l) => (l.inputs.logDestinationConfigs as string[])[0])
        .sort()
        .reverse(),
    ).toEqual([
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:aws-waf-logs-tap-frontend-dev`,
      `arn:aws:logs:${REGION}:${ACCOUNT}:log-group:aws-waf-logs-tap-api-dev`,
    ]);
    const group = (n: string) =>
      ofType(resources, "aws:cloudwatch/logGroup:LogGroup").find((g) => g.inputs.name === n);
    const cf = group("aws-waf-logs-tap-frontend-dev");
    expect(cf && inUsEast1(cf)).toBe(true);
    const logKey = resourceNamed(resources, "aws:kms/key:Key", "tap-edge-logs-kms-dev");
    expect(inUsEast1(logKey)).toBe(true);
    expect(
      ofType(resources, "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration")
        .map(inUsEast1)
        .sort(),
    ).toEqual([false, true]);
    expect(cf?.inputs.kmsKeyId).toBe(`arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-edge-logs-kms-dev`);
    expect(group("aws-waf-logs-tap-api-dev")?.inputs.kmsKeyId).toBe(
      `arn:aws:kms:${REGION}:${ACCOUNT}:key/tap-kms-dev`,
    );
    expect(
      String(resourceNamed(resources, "aws:kms/key:Key", "tap-kms-dev").inputs.policy),
    ).toContain("log-group:aws-waf-logs-tap-api-dev");
  });

  it("attaches the API's web ACL to every public Ingress; the controller may associate only it", async () => {
    const { resources } = await synth();
    const ingresses = ofType(resources, "kubernetes:networking.k8s.io/v1:Ingress");
    expect(ingresses.length).toBeGreaterThan(0);
    for (const i of ingresses)
      expect(
        (i.inputs.metadata as { annotations: Record<string, string> }).annotations,
      ).toMatchObject({
        "alb.ingress.kubernetes.io/wafv2-acl-arn": API_ACL,
      });
    const guard = ofType(
      resources,
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
    ).find((p) => p.name.startsWith("alb-ingress-policy"));
    expect(JSON.stringify(guard?.inputs)).toContain(API_ACL);
    const lbc = resourceNamed(
      resources,
      "kubernetes:helm.sh/v3:Release",
      "aws-load-balancer-controller-dev",
    );
    expect((lbc.inputs.values as Record<string, unknown>).enableWafv2).toBe(true);

    const scope = { partition: "aws", region: REGION, accountId: ACCOUNT };
    const withWaf = loadBalancerControllerPolicy(scope, "tap-eks-dev", "vpc-1", undefined, {
      webAclName: "tap-api-dev",
    });
    const alb = `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/k8s-web/0123456789abcdef`;
    const may = (action: string, resource: string) => simulate(withWaf, { action, resource });
    await expect(may("wafv2:AssociateWebACL", API_ACL)).resolves.toBe("Allowed");
    await expect(may("wafv2:AssociateWebACL", alb)).resolves.toBe("Allowed");
    await expect(
      may("wafv2:AssociateWebACL", `arn:aws:wafv2:${REGION}:${ACCOUNT}:regional/webacl/other/1`),
    ).resolves.toBe("ImplicitlyDenied");
    await expect(may("wafv2:DeleteWebACL", API_ACL)).resolves.toBe("ImplicitlyDenied");
    // Without the front door the controller has no WAF permission at all.
    const without = loadBalancerControllerPolicy(scope, "tap-eks-dev", "vpc-1");
    expect(JSON.stringify(without)).not.toMatch(/wafv2|SetWebAcl/);
  });

  it("has no API web ACL without the load balancer controller, and passes tap's policy pack", async () => {
    const bare = await synthStack({
      enableAppMesh: "false",
      kubernetesVersion: "1.35",
      addons: { edge: true },
    });
    expect(ofType(bare.resources, "aws:wafv2/webAcl:WebAcl").map((a) => a.inputs.scope)).toEqual([
      "CLOUDFRONT",
    ]);
    const d = resourceNamed(
      bare.resources,
      "aws:cloudfront/distribution:Distribution",
      "tap-frontend-dev",
    );
    expect(d.inputs.viewerCertificate).toEqual({ cloudfrontDefaultCertificate: true });
    for (const stack of [bare, await synth()]) {
      const violations = await runPolicies(policies, stack.resources, {
        config: { "eks-supported-version": { asOf: "2026-12-03" } },
      });
      expect(violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
    }
  });
});
