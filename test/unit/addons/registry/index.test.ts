/**
 * The registry: a repository per catalog service (scanned, immutable, tap's KMS key, N images,
 * deleted with the stack) that only tap's nodes and the service's own role may pull from, whatever
 * other principals' IAM policies say; a push role only a workflow of the configured GitHub
 * repository and branch may assume, pushing only to tap's repositories; `imageTag` runs the
 * service's own repository. The config reports every bad setting at once.
 */
import { PolicyDocument } from "../../../../lib/iam/policy";
import { githubSubject, pushPolicy, repositoryPolicy } from "../../../../lib/addons/registry";
import { policies } from "../../../../policy/policies";
import { runPolicies } from "../../../../tools/policy-runner";
import { configProblems } from "../../../helpers/config";
import { simulate, simulateWebIdentity } from "../../../helpers/iam-sim";
import { ACCOUNT, REGION, ofType, resourceNamed, synthStack } from "../../../helpers/mocks";

const IMAGE = "public.ecr.aws/nginx/nginx-unprivileged:1.27-alpine";
const role = (name: string) => `arn:aws:iam::${ACCOUNT}:role/${name}`;
const repoArn = (name: string) => `arn:aws:ecr:${REGION}:${ACCOUNT}:repository/${name}`;
const SERVICES = [
  { name: "web", image: IMAGE, public: true, calls: ["orders"] },
  {
    name: "orders",
    imageTag: "1.4.2",
    calls: ["stock"],
    awsPermissions: [
      {
        actions: ["sqs:SendMessage"],
        resources: ["arn:${partition}:sqs:${region}:${account}:orders"],
      },
    ],
  },
  { name: "stock", image: IMAGE },
];
const ON = {
  enableAppMesh: "false",
  kubernetesVersion: "1.35",
  addons: { registry: { githubRepository: "acme/shop", keepImages: 12 } },
  services: SERVICES,
};
/** Everything ECR allows, as an account admin's identity policy would. */
const ECR_ADMIN: PolicyDocument = {
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Action: "ecr:*", Resource: "*" }],
};

describe("the registry's config", () => {
  it("reports every bad setting at once, naming its key", () => {
    const problems = configProblems({
      enableAppMesh: "false",
      addons: {
        registry: {
          keepImages: 0,
          githubRepository: "not a repo",
          githubBranch: "main branch",
          githubOidcProviderArn: "arn:aws:iam::123456789012:oidc-provider/example.com",
        },
      },
    });
    expect(problems).toEqual([
      expect.stringMatching(/^tap:addons\.registry\.keepImages: .*1 to 1000 \(got 0\)/),
      expect.stringMatching(/^tap:addons\.registry\.githubRepository: .*owner\/name.*"not a repo"/),
      expect.stringMatching(/^tap:addons\.registry\.githubBranch: .*"main branch"/),
      expect.stringMatching(/^tap:addons\.registry\.githubOidcProviderArn: .*token\.actions/),
    ]);
    expect(
      configProblems({ enableAppMesh: "false", addons: { registry: { githubBranch: "dev" } } }),
    ).toEqual([
      expect.stringMatching(/^tap:addons\.registry\.githubBranch: .*githubRepository is not/),
    ]);
  });

  it("refuses imageTag without the registry, with image, or as latest", () => {
    const withService = (service: Record<string, unknown>, registry = false) =>
      configProblems({
        enableAppMesh: "false",
        addons: { registry },
        services: [{ name: "a", ...service }],
      });
    expect(withService({ imageTag: "1.0.0" })).toEqual([
      expect.stringMatching(
        /^tap:addons\.registry: tap:services a: imageTag is a tag .*turn it on/,
      ),
    ]);
    expect(withService({ image: IMAGE, imageTag: "1.0.0" }, true)).toEqual([
      expect.stringMatching(/^tap:services: tap:services\[0\]\.imageTag and image are both set/),
    ]);
    expect(withService({ imageTag: "latest" }, true)).toEqual([
      expect.stringMatching(/imageTag must not be `latest`/),
    ]);
    expect(withService({}, true)).toEqual([
      expect.stringMatching(/tap:services\[0\]\.image is required \(or imageTag/),
    ]);
    expect(withService({ imageTag: "1.0.0" }, true)).toEqual([]);
  });
});

describe("the registry on", () => {
  const synth = () => synthStack(ON);

  it("makes one hardened repository per service, deleted with the stack", async () => {
    const { resources } = await synth();
    const repos = ofType(resources, "aws:ecr/repository:Repository");
    expect(repos.map((r) => r.inputs.name).sort()).toEqual(
      ["tap-dev/orders", "tap-dev/stock", "tap-dev/web"].sort(),
    );
    const key = ofType(resources, "aws:kms/key:Key")[0];
    for (const r of repos) {
      expect(r.inputs).toMatchObject({
        imageTagMutability: "IMMUTABLE",
        imageScanningConfiguration: { scanOnPush: true },
        encryptionConfigurations: [
          { encryptionType: "KMS", kmsKey: `arn:aws:kms:${REGION}:${ACCOUNT}:key/${key.name}` },
        ],
        forceDelete: true,
      });
    }
    const lifecycles = ofType(resources, "aws:ecr/lifecyclePolicy:LifecyclePolicy");
    expect(lifecycles).toHaveLength(3);
    for (const l of lifecycles) {
      const rules = (JSON.parse(String(l.inputs.policy)) as { rules: unknown[] }).rules;
      expect(rules).toEqual([
        expect.objectContaining({
          selection: { tagStatus: "any", countType: "imageCountMoreThan", countNumber: 12 },
          action: { type: "expire" },
        }),
      ]);
    }
  });

  it("lets only tap's nodes and the service's own role pull, whatever others' IAM says", async () => {
    const { resources } = await synth();
    const policyOf = (service: string) =>
      JSON.parse(
        String(
          resourceNamed(
            resources,
            "aws:ecr/repositoryPolicy:RepositoryPolicy",
            `tap-ecr-${service}-policy-dev`,
          ).inputs.policy,
        ),
      ) as PolicyDocument;
    const pull = (service: string, principal: string) =>
      simulate(ECR_ADMIN, {
        action: "ecr:BatchGetImage",
        resource: repoArn(`tap-dev/${service}`),
        principal,
        context: { "aws:PrincipalArn": principal },
        resourcePolicy: policyOf(service),
      });
    const nodes = role("tap-node-dev");
    const orders = role("tap-svc-orders-dev");
    expect(ofType(resources, "aws:iam/role:Role").map((r) => r.inputs.name)).toEqual(
      expect.arrayContaining(["tap-node-dev", "tap-svc-orders-dev"]),
    );
    await expect(pull("orders", nodes)).resolves.toBe("Allowed");
    await expect(pull("orders", orders)).resolves.toBe("Allowed");
    await expect(pull("web", nodes)).resolves.toBe("Allowed");
    // Another service's role, an admin, the push role's pull of an image it did not push elsewhere.
    await expect(pull("web", orders)).resolves.toBe("ExplicitlyDenied");
    await expect(pull("orders", role("Admin"))).resolves.toBe("ExplicitlyDenied");
    await expect(pull("stock", role("tap-ecr-push-dev"))).resolves.toBe("Allowed");
  });

  it("runs an imageTag service from its own repository, after its pull policy exists", async () => {
    const { resources } = await synth();
    const deployment = (name: string) =>
      resourceNamed(resources, "kubernetes:apps/v1:Deployment", `svc-${name}-deployment-dev`);
    const image = (name: string) =>
      (
        deployment(name).inputs.spec as {
          template: { spec: { containers: { image: string }[] } };
        }
      ).template.spec.containers[0].image;
    expect(image("orders")).toBe(`${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/tap-dev/orders:1.4.2`);
    expect(image("web")).toBe(IMAGE);
    const policy = resourceNamed(
      resources,
      "aws:ecr/repositoryPolicy:RepositoryPolicy",
      "tap-ecr-orders-policy-dev",
    );
    expect(deployment("orders").dependencies).toContain(policy.urn);
  });

  it("trusts exactly the configured repository's branch to push, only to tap's repositories", async () => {
    const { resources } = await synth();
    const pushRole = resourceNamed(resources, "aws:iam/role:Role", "tap-ecr-push-dev");
    const provider = ofType(resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider");
    expect(provider.map((p) => p.inputs)).toEqual([
      expect.objectContaining({
        url: "https://token.actions.githubusercontent.com",
        clientIdLists: ["sts.amazonaws.com"],
      }),
    ]);
    const providerArn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    const trust = JSON.parse(String(pushRole.inputs.assumeRolePolicy)) as PolicyDocument;
    const assume = (sub: string, aud = "sts.amazonaws.com") =>
      simulateWebIdentity(
        trust,
        "token.actions.githubusercontent.com",
        providerArn,
        role("tap-ecr-push-dev"),
        { sub, aud },
      );
    await expect(assume("repo:acme/shop:ref:refs/heads/main")).resolves.toBe("Allowed");
    await expect(assume("repo:acme/shop:ref:refs/heads/feature")).resolves.toBe("ImplicitlyDenied");
    await expect(assume("repo:acme/shop:pull_request")).resolves.toBe("ImplicitlyDenied");
    await expect(assume("repo:evil/shop:ref:refs/heads/main")).resolves.toBe("ImplicitlyDenied");
    await expect(assume("repo:acme/shop:ref:refs/heads/main", "other")).resolves.toBe(
      "ImplicitlyDenied",
    );

    const policy = JSON.parse(
      String(
        resourceNamed(resources, "aws:iam/rolePolicy:RolePolicy", "tap-ecr-push-policy-dev").inputs
          .policy,
      ),
    ) as PolicyDocument;
    const may = (action: string, resource: string) => simulate(policy, { action, resource });
    for (const service of ["web", "orders", "stock"]) {
      await expect(may("ecr:PutImage", repoArn(`tap-dev/${service}`))).resolves.toBe("Allowed");
      await expect(may("ecr:UploadLayerPart", repoArn(`tap-dev/${service}`))).resolves.toBe(
        "Allowed",
      );
    }
    await expect(may("ecr:GetAuthorizationToken", "*")).resolves.toBe("Allowed");
    await expect(may("ecr:PutImage", repoArn("tap-prod/web"))).resolves.toBe("ImplicitlyDenied");
    await expect(may("ecr:PutImage", repoArn("other"))).resolves.toBe("ImplicitlyDenied");
    await expect(may("ecr:DeleteRepository", repoArn("tap-dev/web"))).resolves.toBe(
      "ImplicitlyDenied",
    );
    await expect(may("ecr:SetRepositoryPolicy", repoArn("tap-dev/web"))).resolves.toBe(
      "ImplicitlyDenied",
    );
  });

  it("adopts the account's GitHub provider when named, and has no push role without a repository", async () => {
    const arn = `arn:aws:iam::${ACCOUNT}:oidc-provider/token.actions.githubusercontent.com`;
    const named = await synthStack({
      ...ON,
      addons: { registry: { githubRepository: "acme/shop", githubOidcProviderArn: arn } },
    });
    expect(ofType(named.resources, "aws:iam/openIdConnectProvider:OpenIdConnectProvider")).toEqual(
      [],
    );
    const trust = JSON.parse(
      String(
        resourceNamed(named.resources, "aws:iam/role:Role", "tap-ecr-push-dev").inputs
          .assumeRolePolicy,
      ),
    ) as PolicyDocument;
    expect(trust.Statement[0].Principal).toEqual({ Federated: arn });

    const bare = await synthStack({ ...ON, addons: { registry: true } });
    expect(bare.resources.some((r) => r.name === "tap-ecr-push-dev")).toBe(false);
    expect(ofType(bare.resources, "aws:ecr/repository:Repository")).toHaveLength(3);
  });

  it("passes tap's policy pack, push role included", async () => {
    const { resources } = await synth();
    const violations = await runPolicies(policies, resources, {
      config: { "eks-supported-version": { asOf: "2026-12-03" } },
    });
    expect(violations.filter((v) => v.enforcementLevel === "mandatory")).toEqual([]);
  });

  it("lets Karpenter's nodes pull when Karpenter is on", async () => {
    const { resources } = await synthStack({
      ...ON,
      addons: { registry: true, karpenter: true, clusterAutoscaler: false },
    });
    const doc = JSON.parse(
      String(
        resourceNamed(
          resources,
          "aws:ecr/repositoryPolicy:RepositoryPolicy",
          "tap-ecr-web-policy-dev",
        ).inputs.policy,
      ),
    ) as PolicyDocument;
    expect(doc.Statement[0].Principal).toEqual({
      AWS: [role("tap-node-dev"), role("tap-karpenter-node-dev")],
    });
  });
});

describe("the registry's policy documents", () => {
  it("deny every reader but the listed ones, and push only to the given ARNs", () => {
    const doc = repositoryPolicy({ pullers: [role("n")], pusher: role("p") });
    expect(doc.Statement[1]).toMatchObject({
      Effect: "Deny",
      Condition: { StringNotEquals: { "aws:PrincipalArn": [role("n"), role("p")] } },
    });
    expect(pushPolicy([repoArn("a")]).Statement[1].Resource).toEqual([repoArn("a")]);
    expect(githubSubject("acme/shop", "release/1.x")).toBe(
      "repo:acme/shop:ref:refs/heads/release/1.x",
    );
  });
});
