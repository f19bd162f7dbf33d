/**
 * The AWS Load Balancer Controller: its policy is upstream's at v3.5.0 narrowed (never widened),
 * simulated for what it may and may not touch; each public service's Ingress is an internet-facing
 * ALB, valid, ordered after the controller and deleted while it runs.
 */
import * as fs from "fs";
import * as path from "path";
import { TapConfigError, resolveConfig } from "../../../../lib/config";
import {
  DROPPED_ACTION,
  loadBalancerControllerPolicy,
} from "../../../../lib/addons/load-balancer-controller/iam";
import { UPSTREAM_LBC_STATEMENTS } from "../../../../lib/addons/load-balancer-controller/upstream-policy";
import { albAnnotations } from "../../../../lib/services/workloads";
import { simulate } from "../../../helpers/iam-sim";
import { validateManifest } from "../../../helpers/k8s-schema";
import {
  ACCOUNT,
  PolicyStatement,
  REGION,
  RecordedResource,
  ofType,
  synthStack,
  valueOf,
} from "../../../helpers/mocks";

const CLUSTER = "tap-eks-dev";
const VPC = "vpc-0123456789abcdef0";
const scope = { partition: "aws", region: REGION, accountId: ACCOUNT };
const policy = loadBalancerControllerPolicy(scope, CLUSTER, VPC);
const ON = { enableAppMesh: "false", addons: { loadBalancerController: true } };
const CERT = `arn:aws:acm:${REGION}:${ACCOUNT}:certificate/0a1b2c3d-4e5f-6789-abcd-ef0123456789`;

const facts = JSON.parse(
  fs.readFileSync(
    path.join(
      __dirname,
      "..",
      "..",
      "..",
      "..",
      "facts",
      "iam",
      "aws-load-balancer-controller-3.5.0.json",
    ),
    "utf8",
  ),
) as { source: string; policy: { Statement: PolicyStatement[] } };

describe("the controller's policy: upstream's at v3.5.0, narrowed", () => {
  it("transcribes upstream exactly (upstream-policy.ts = facts/iam)", () => {
    expect(facts.source).toMatch(/^kubernetes-sigs\/aws-load-balancer-controller@11eb202c/);
    expect(UPSTREAM_LBC_STATEMENTS).toEqual(facts.policy.Statement);
  });

  it("grants upstream's actions minus WAF, WAF v2 and Shield (turned off), none added", () => {
    const actions = (ss: readonly PolicyStatement[]) =>
      new Set(ss.flatMap((s) => [s.Action].flat()));
    const theirs = [...actions(UPSTREAM_LBC_STATEMENTS)];
    const ours = [...actions(policy.Statement)];
    expect(ours.sort()).toEqual(theirs.filter((a) => !DROPPED_ACTION.test(a)).sort());
    expect(theirs.filter((a) => DROPPED_ACTION.test(a)).length).toBeGreaterThan(5);
  });

  const lb = (name: string) =>
    `arn:aws:elasticloadbalancing:${REGION}:${ACCOUNT}:loadbalancer/app/${name}/50dc6c495c0c9188`;
  const sg = `arn:aws:ec2:${REGION}:${ACCOUNT}:security-group/sg-0123456789abcdef0`;
  const own = { "aws:ResourceTag/elbv2.k8s.aws/cluster": CLUSTER };
  const other = { "aws:ResourceTag/elbv2.k8s.aws/cluster": "another-cluster" };

  it("modifies and deletes only load balancers and security groups tagged for this cluster", async () => {
    const del = (context: Record<string, string>) =>
      simulate(policy, {
        action: "elasticloadbalancing:DeleteLoadBalancer",
        resource: lb("k8s-gw"),
        context,
      });
    expect(await del(own)).toBe("Allowed");
    expect(await del(other)).toBe("ImplicitlyDenied");
    expect(await del({})).toBe("ImplicitlyDenied");
    const delSg = (context: Record<string, string>) =>
      simulate(policy, { action: "ec2:DeleteSecurityGroup", resource: sg, context });
    expect(await delSg(own)).toBe("Allowed");
    expect(await delSg(other)).toBe("ImplicitlyDenied");
    // Upstream's own policy lets any cluster's controller do it: the narrowing is real.
    const upstream = { Version: "2012-10-17" as const, Statement: UPSTREAM_LBC_STATEMENTS };
    expect(
      await simulate(upstream, { action: "ec2:DeleteSecurityGroup", resource: sg, context: other }),
    ).toBe("Allowed");
  });

  it("creates load balancers only tagged for this cluster", async () => {
    const create = (value: string) =>
      simulate(policy, {
        action: "elasticloadbalancing:CreateLoadBalancer",
        resource: lb("k8s-new"),
        context: { "aws:RequestTag/elbv2.k8s.aws/cluster": value },
      });
    expect(await create(CLUSTER)).toBe("Allowed");
    expect(await create("another-cluster")).toBe("ImplicitlyDenied");
  });

  it("opens security groups only in tap's VPC, changes listeners only in this account and region", async () => {
    const vpcArn = `arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/${VPC}`;
    const authorize = (vpc: string) =>
      simulate(policy, {
        action: "ec2:AuthorizeSecurityGroupIngress",
        resource: sg,
        context: { "ec2:Vpc": vpc },
      });
    expect(await authorize(vpcArn)).toBe("Allowed");
    expect(await authorize(`arn:aws:ec2:${REGION}:${ACCOUNT}:vpc/vpc-other`)).toBe(
      "ImplicitlyDenied",
    );
    const listener = (account: string) =>
      simulate(policy, {
        action: "elasticloadbalancing:DeleteListener",
        resource: `arn:aws:elasticloadbalancing:${REGION}:${account}:listener/app/k8s-gw/50dc6c495c0c9188/f2f7dc8efc522ab2`,
      });
    expect(await listener(ACCOUNT)).toBe("Allowed");
    expect(await listener("210987654321")).toBe("ImplicitlyDenied");
    expect(
      await simulate(policy, { action: "wafv2:AssociateWebACL", resource: lb("k8s-gw") }),
    ).toBe("ImplicitlyDenied");
  });
});

describe("the controller and the public services' ALBs in the stack", () => {
  let resources: readonly RecordedResource[];
  beforeAll(async () => {
    resources = (
      await synthStack({ ...ON, addons: { loadBalancerController: { certificateArn: CERT } } })
    ).resources;
  });
  const ingresses = () => ofType(resources, "kubernetes:networking.k8s.io/v1:Ingress");

  it("installs the pinned chart with region, VPC, two replicas, no Service webhook, WAF/Shield off", () => {
    const release = ofType(resources, "kubernetes:helm.sh/v3:Release").find(
      (r) => r.inputs.name === "aws-load-balancer-controller",
    );
    expect(release?.inputs).toMatchObject({
      chart: "aws-load-balancer-controller",
      version: "3.5.0",
      namespace: "kube-system",
    });
    expect(release?.inputs.values).toMatchObject({
      clusterName: CLUSTER,
      region: REGION,
      vpcId: VPC,
      replicaCount: 2,
      enableServiceMutatorWebhook: false,
      enableWaf: false,
      enableWafv2: false,
      enableShield: false,
      serviceAccount: { name: "aws-load-balancer-controller" },
    });
  });

  it("gives each public service an internet-facing ALB Ingress (HTTPS with the certificate), valid", () => {
    const [ing] = ingresses();
    expect(ingresses()).toHaveLength(1);
    validateManifest(ing.inputs as Record<string, unknown>);
    expect(ing.inputs.metadata).toMatchObject({ name: "gateway", namespace: "gateway" });
    expect((ing.inputs.spec as { ingressClassName: string }).ingressClassName).toBe("alb");
    const a = (ing.inputs.metadata as { annotations: Record<string, string> }).annotations;
    expect(a).toMatchObject({
      "alb.ingress.kubernetes.io/scheme": "internet-facing",
      "alb.ingress.kubernetes.io/target-type": "ip",
      "alb.ingress.kubernetes.io/certificate-arn": CERT,
      "alb.ingress.kubernetes.io/ssl-redirect": "443",
    });
    expect(a["alb.ingress.kubernetes.io/tags"]).toMatch(
      /Environment=dev,Team=platform,CostCenter=fintech-platform/,
    );
  });

  it("creates the Ingress after the controller's release (its webhook answers) and the Service", () => {
    const [ing] = ingresses();
    const release = ofType(resources, "kubernetes:helm.sh/v3:Release").find(
      (r) => r.inputs.name === "aws-load-balancer-controller",
    );
    const svc = ofType(resources, "kubernetes:core/v1:Service").find(
      (r) => r.name === "svc-gateway-service-dev",
    );
    expect(ing.dependencies).toEqual(expect.arrayContaining([release?.urn, svc?.urn]));
  });

  it("listens on HTTP only without a certificate, and says so", () => {
    const a = albAnnotations({ healthPath: "/healthz" } as never, undefined, {});
    expect(a["alb.ingress.kubernetes.io/listen-ports"]).toBe('[{"HTTP": 80}]');
    expect(a["alb.ingress.kubernetes.io/certificate-arn"]).toBeUndefined();
    const { warnings } = resolveConfig(ON, { stackName: "dev", env: {} });
    expect(warnings.join("\n")).toMatch(
      /no certificateArn: the public services' ALBs \(gateway\) listen on HTTP only/,
    );
  });

  it("refuses a certificate that is not an ACM ARN", () => {
    expect(() =>
      resolveConfig(
        {
          enableAppMesh: "false",
          addons: { loadBalancerController: { certificateArn: "my-cert" } },
        },
        { stackName: "dev", env: {} },
      ),
    ).toThrow(TapConfigError);
  });

  it("outputs each public service's URL, and leaves no trace when off", async () => {
    const on = await synthStack({
      ...ON,
      addons: { loadBalancerController: { certificateArn: CERT } },
    });
    expect(Object.keys(await valueOf(on.value.publicServices))).toEqual(["gateway"]);
    expect(String((await valueOf(on.value.publicServices)).gateway)).toMatch(/^https:\/\//);
    const off = await synthStack({ enableAppMesh: "false" });
    expect(
      off.resources.filter((r) => /load-balancer-controller|Ingress/.test(`${r.type} ${r.name}`)),
    ).toEqual([]);
  });
});

describe("only tap's ALB Ingresses are admitted (ValidatingAdmissionPolicy)", () => {
  const VAP = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy";
  const BINDING = "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicyBinding";

  it("pins each public service's Ingress (name, backend, annotations), denies the rest; Ingresses wait for it", async () => {
    const { resources } = await synthStack({ ...ON, kubernetesVersion: "1.35" });
    const [policy] = ofType(resources, VAP);
    const [binding] = ofType(resources, BINDING);
    expect(binding.inputs.spec).toEqual({
      policyName: "tap-alb-ingresses",
      validationActions: ["Deny"],
    });
    const spec = policy.inputs.spec as {
      failurePolicy: string;
      validations: { expression: string }[];
    };
    expect(spec.failurePolicy).toBe("Fail");
    const rule = spec.validations[0].expression;
    expect(rule).toContain("object.metadata.namespace == 'gateway'");
    expect(rule).toContain("p.backend.service.name == 'gateway'");
    expect(rule).toContain("'alb.ingress.kubernetes.io/scheme' in variables.albAnnotations");
    const [ing] = ofType(resources, "kubernetes:networking.k8s.io/v1:Ingress");
    expect(ing.dependencies).toEqual(expect.arrayContaining([policy.urn, binding.urn]));
  });

  it("is not made on 1.28 (no admissionregistration.k8s.io/v1 policies there) nor without the controller", async () => {
    const old = await synthStack({ ...ON, kubernetesVersion: "1.28" });
    expect(ofType(old.resources, VAP)).toEqual([]);
    const off = await synthStack({ enableAppMesh: "false", kubernetesVersion: "1.35" });
    expect(ofType(off.resources, VAP)).toEqual([]);
  });
});
