/**
 * Argo CD: the release (pinned per minor, Redis HA, servers autoscaled 2-5, on on-demand nodes,
 * read-only RBAC with an admin group, OIDC with its secret kept a secret), tap's projects (what
 * the applications may deploy, evaluated as Argo CD does), the root app-of-apps, and the
 * ApplicationSet's generator evaluated offline on a repository. Off: nothing of it exists.
 */
import {
  ARGOCD_NAMESPACE,
  DENIED_NAMESPACED_KINDS,
  ENVIRONMENTS_APPSET,
  IN_CLUSTER,
  ROOT_PROJECT,
  WORKLOADS_PROJECT,
} from "../../../../lib/addons/argocd";
import { ADDON_NAMESPACES, SYSTEM_NAMESPACES } from "../../../../lib/addons/reserved-namespaces";
import { SUPPORTED_KUBERNETES_VERSIONS, pinsFor } from "../../../../lib/addons/versions";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import { policies } from "../../../../policy/policies";
import { runPolicies } from "../../../../tools/policy-runner";
import {
  ApplicationSetSpec,
  generateApplications,
  goPathMatch,
} from "../../../helpers/appset-eval";
import { DEV_CONTEXT, configProblems } from "../../../helpers/config";
import { RecordedResource, ofType, synthStack, valueOf } from "../../../helpers/mocks";
import { resolveConfig } from "../../../../lib/config";
import { validateManifest } from "../../../helpers/k8s-schema";

const REPO = "https://github.com/acme/platform.git";
const ON = {
  enableAppMesh: "false",
  kubernetesVersion: "1.35",
  addons: { argocd: { repoUrl: REPO, adminGroup: "platform-admins" } },
};
type Obj = Record<string, unknown>;
const release = (resources: readonly RecordedResource[]) => {
  const r = ofType(resources, "kubernetes:helm.sh/v3:Release").find(
    (x) => x.inputs.name === "argocd",
  );
  if (!r) throw new Error("no argocd release");
  return r;
};
const argo = (resources: readonly RecordedResource[], kind: string, name: string) => {
  const r = resources.find(
    (x) =>
      x.type.startsWith("kubernetes:argoproj.io/") &&
      x.inputs.kind === kind &&
      (x.inputs.metadata as { name: string }).name === name,
  );
  if (!r) throw new Error(`no ${kind} ${name}`);
  return r;
};

/** argo-cd@v3.5.1 pkg/apis/application/v1alpha1/app_project_types.go globMatch + isDestinationMatched (namespaces, one server). */
function destinationPermitted(
  destinations: readonly { server: string; namespace: string }[],
  server: string,
  namespace: string,
): boolean {
  const glob = (p: string, v: string) =>
    p.startsWith("!") ? !goPathMatch(p.slice(1), v) : p === "*" || goPathMatch(p, v);
  let any = false;
  for (const d of destinations) {
    const serverOk = glob(d.server, server);
    const nsOk = glob(d.namespace, namespace);
    if (serverOk && nsOk) any = true;
    else if (!nsOk && d.namespace.startsWith("!") && serverOk) return false;
  }
  return any;
}

describe("Argo CD's config", () => {
  it("needs a repository, and reports every bad setting at once", () => {
    expect(configProblems({ enableAppMesh: "false", addons: { argocd: true } })).toEqual([
      expect.stringMatching(/^tap:addons\.argocd\.repoUrl: .*required/),
    ]);
    expect(
      configProblems({
        enableAppMesh: "false",
        addons: {
          argocd: {
            repoUrl: "ftp://x",
            path: "/abs",
            environmentsPath: "../up",
            revision: "a b",
            oidc: { issuer: "http://login", clientId: "x" },
          },
        },
      }),
    ).toEqual([
      expect.stringMatching(/^tap:addons\.argocd\.repoUrl: .*"ftp:\/\/x"/),
      expect.stringMatching(/^tap:addons\.argocd\.path: .*"\/abs"/),
      expect.stringMatching(/^tap:addons\.argocd\.environmentsPath: .*"\.\.\/up"/),
      expect.stringMatching(/^tap:addons\.argocd\.revision: .*"a b"/),
      expect.stringMatching(/^tap:addons\.argocd\.oidc\.issuer: .*"http:\/\/login"/),
      expect.stringMatching(/^tap:addons\.argocd\.oidc\.clientSecret: /),
    ]);
  });

  it("is pinned per minor to the newest chart of an Argo CD tested on it", () => {
    const pins = SUPPORTED_KUBERNETES_VERSIONS.map((v) => [v, pinsFor(v).argocd.version]);
    expect(Object.fromEntries(pins)).toEqual({
      "1.28": "7.9.1",
      "1.31": "9.3.7",
      "1.32": "10.1.1",
      "1.33": "10.1.1",
      "1.34": "10.1.1",
      "1.35": "10.1.1",
    });
  });
});

describe("Argo CD on", () => {
  it("runs HA on on-demand nodes: Redis HA, servers autoscaled 2-5, budgets", async () => {
    const { resources } = await synthStack(ON);
    const r = release(resources);
    expect(r.inputs).toMatchObject({
      chart: "argo-cd",
      version: "10.1.1",
      namespace: ARGOCD_NAMESPACE,
      repositoryOpts: { repo: "https://argoproj.github.io/argo-helm" },
    });
    const v = r.inputs.values as Obj;
    const scaled = {
      autoscaling: { enabled: true, minReplicas: 2, maxReplicas: 5 },
      pdb: { enabled: true, minAvailable: 1 },
    };
    expect(v).toMatchObject({
      global: {
        nodeSelector: { "eks.amazonaws.com/capacityType": "ON_DEMAND" },
        image: { repository: "quay.io/argoproj/argocd", tag: "v3.4.4" },
      },
      "redis-ha": {
        enabled: true,
        hardAntiAffinity: false,
        nodeSelector: { "eks.amazonaws.com/capacityType": "ON_DEMAND" },
      },
      server: scaled,
      repoServer: scaled,
      applicationSet: { replicas: 2 },
      dex: { enabled: false },
    });
  });

  it("lets everyone signed in read and only the admin group administer", async () => {
    const { resources } = await synthStack(ON);
    const rbac = ((release(resources).inputs.values as Obj).configs as Obj).rbac;
    expect(rbac).toEqual({
      "policy.default": "role:readonly",
      "policy.csv": "g, platform-admins, role:admin\n",
      scopes: "[groups]",
    });
    const { resources: none } = await synthStack({ ...ON, addons: { argocd: { repoUrl: REPO } } });
    expect(((release(none).inputs.values as Obj).configs as Obj).rbac).toMatchObject({
      "policy.csv": "",
    });
  });

  it("signs in through OIDC with the client secret only in argocd-secret, as a secret", async () => {
    const { resources } = await synthStack({
      ...ON,
      addons: {
        argocd: {
          repoUrl: REPO,
          oidc: { issuer: "https://login.example.com", clientId: "argocd", clientSecret: "s3cr3t" },
        },
      },
    });
    const r = release(resources);
    // The whole values object is a secret once it holds one (its wire form in the mocks).
    const wire = r.inputs.values as Obj;
    expect(wire[specialSigKey]).toBe(specialSecretSig);
    const configs = (wire.value as Obj).configs as { cm: Obj; secret: { extra: Obj } };
    expect(configs.cm["oidc.config"]).toBe(
      [
        "name: SSO",
        "issuer: https://login.example.com",
        "clientID: argocd",
        "clientSecret: $oidc.tap.clientSecret",
        "requestedScopes: [openid, profile, email, groups]",
      ].join("\n"),
    );
    expect(configs.secret.extra).toEqual({ "oidc.tap.clientSecret": "s3cr3t" });
    expect(JSON.stringify(configs.cm)).not.toContain("s3cr3t");
    // The provider redirects to <url>/auth/callback: the port-forward's address.
    expect(configs.cm.url).toBe("https://localhost:8080");
  });

  it("admits the platform's applications from the repository only, never into system namespaces", async () => {
    const { resources } = await synthStack(ON);
    const project = argo(resources, "AppProject", WORKLOADS_PROJECT).inputs.spec as {
      sourceRepos: string[];
      destinations: { server: string; namespace: string }[];
      clusterResourceWhitelist: unknown[];
      namespaceResourceBlacklist: unknown[];
    };
    expect(project.sourceRepos).toEqual([REPO]);
    for (const ns of ["payments", "dev", "retail"])
      expect(destinationPermitted(project.destinations, IN_CLUSTER, ns)).toBe(true);
    // ...nor into an add-on's (the collectors', Argo Rollouts', Prometheus's), Argo CD's own included.
    for (const ns of [...SYSTEM_NAMESPACES, ...ADDON_NAMESPACES, ARGOCD_NAMESPACE])
      expect(destinationPermitted(project.destinations, IN_CLUSTER, ns)).toBe(false);
    for (const ns of ["opentelemetry", "argo-rollouts", "prometheus", "tap-probe"])
      expect(destinationPermitted(project.destinations, IN_CLUSTER, ns)).toBe(false);
    expect(destinationPermitted(project.destinations, "https://other.example.com", "dev")).toBe(
      false,
    );
    expect(project.clusterResourceWhitelist).toEqual([{ group: "", kind: "Namespace" }]);
    expect(project.namespaceResourceBlacklist).toEqual(DENIED_NAMESPACED_KINDS);
    // The app of apps may make Applications in Argo CD's namespace, and nothing else.
    const root = argo(resources, "AppProject", ROOT_PROJECT).inputs.spec as typeof project & {
      namespaceResourceWhitelist: unknown[];
    };
    expect(destinationPermitted(root.destinations, IN_CLUSTER, ARGOCD_NAMESPACE)).toBe(true);
    expect(destinationPermitted(root.destinations, IN_CLUSTER, "payments")).toBe(false);
    expect(root.clusterResourceWhitelist).toEqual([]);
    expect(root.namespaceResourceWhitelist).toEqual([
      { group: "argoproj.io", kind: "Application" },
    ]);
  });

  it("syncs the root app-of-apps from repoUrl/path/revision, after the release and its projects", async () => {
    const { resources } = await synthStack({
      ...ON,
      addons: { argocd: { repoUrl: REPO, path: "platform/apps", revision: "main" } },
    });
    const app = argo(resources, "Application", "tap-root");
    expect(app.inputs.spec).toMatchObject({
      project: ROOT_PROJECT,
      source: { repoURL: REPO, path: "platform/apps", targetRevision: "main" },
      destination: { server: IN_CLUSTER, namespace: ARGOCD_NAMESPACE },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    // No resources finalizer: a delete never waits on a controller that may be gone.
    expect((app.inputs.metadata as Obj).finalizers).toBeUndefined();
    expect(app.dependencies).toEqual(
      expect.arrayContaining([
        release(resources).urn,
        argo(resources, "AppProject", ROOT_PROJECT).urn,
      ]),
    );
  });

  it("makes one Application per environment folder, as Argo CD's git directory generator does", async () => {
    const { resources } = await synthStack({
      ...ON,
      addons: { argocd: { repoUrl: REPO, environmentsPath: "envs", revision: "v2" } },
    });
    const spec = argo(resources, "ApplicationSet", ENVIRONMENTS_APPSET).inputs
      .spec as unknown as ApplicationSetSpec;
    const apps = generateApplications(spec, [
      "envs/dev/kustomization.yaml",
      "envs/dev/overlays/patch.yaml",
      "envs/staging/kustomization.yaml",
      "envs/Prod_EU/kustomization.yaml",
      // A DNS subdomain, not a label: a namespace may have no dot, and at most 63 characters.
      "envs/eu.prod/kustomization.yaml",
      `envs/${"a".repeat(62)}.b/kustomization.yaml`,
      "envs/.archive/old/kustomization.yaml",
      "envs/README.md",
      "apps/root.yaml",
    ]);
    const summary = apps.map((a) => {
      const s = a.spec as {
        project: string;
        source: { path: string; repoURL: string; targetRevision: string };
        destination: { namespace: string };
      };
      return [a.metadata.name, s.source.path, s.destination.namespace, s.project];
    });
    const long = "a".repeat(62);
    expect(summary).toEqual([
      ["prod-eu", "envs/Prod_EU", "prod-eu", WORKLOADS_PROJECT],
      [long, `envs/${long}.b`, long, WORKLOADS_PROJECT],
      ["dev", "envs/dev", "dev", WORKLOADS_PROJECT],
      ["eu-prod", "envs/eu.prod", "eu-prod", WORKLOADS_PROJECT],
      ["staging", "envs/staging", "staging", WORKLOADS_PROJECT],
    ]);
    for (const a of apps)
      expect(a.spec).toMatchObject({
        source: { repoURL: REPO, targetRevision: "v2" },
        syncPolicy: { syncOptions: ["CreateNamespace=true"] },
      });
    expect(generateApplications(spec, ["apps/root.yaml"])).toEqual([]);
    // Every name is a DNS label, and so a valid namespace and label value.
    for (const [name] of summary) expect(name).toMatch(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/);
  });

  it("prints how to reach it and its first password, and passes tap's policy pack", async () => {
    const { resources, value } = await synthStack(ON);
    await expect(valueOf(value.argocdPortForwardCommand)).resolves.toBe(
      "kubectl -n argocd port-forward svc/argocd-server 8080:443",
    );
    await expect(valueOf(value.argocdAdminPasswordCommand)).resolves.toMatch(
      /argocd-initial-admin-secret/,
    );
    const violations = await runPolicies(policies, resources, {
      config: { "eks-supported-version": { asOf: "2026-12-04" } },
    });
    expect(violations.filter((x) => x.enforcementLevel === "mandatory")).toEqual([]);
  });
});

describe("Argo CD behind the load balancer controller", () => {
  const CERT =
    "arn:aws:acm:us-east-1:123456789012:certificate/0a1b2c3d-aaaa-bbbb-cccc-0123456789ab";
  const WITH_ALB = {
    ...ON,
    addons: {
      ...ON.addons,
      loadBalancerController: { certificateArn: CERT },
      externalDns: { hostedZoneId: "Z0123456789ABCDEFGHIJ" },
    },
  };
  const ingresses = (resources: readonly RecordedResource[]) =>
    ofType(resources, "kubernetes:networking.k8s.io/v1:Ingress").filter(
      (r) => (r.inputs.metadata as { namespace: string }).namespace === ARGOCD_NAMESPACE,
    );
  const a = "alb.ingress.kubernetes.io";

  it("serves the UI at argocd.<zone> over HTTPS only, to the API server's HTTPS port", async () => {
    const { resources, value } = await synthStack(WITH_ALB);
    const [ing, ...more] = ingresses(resources);
    expect(more).toEqual([]);
    validateManifest(ing.inputs as Obj);
    expect(ing.inputs.metadata).toMatchObject({
      name: "argocd-server",
      annotations: {
        [`${a}/scheme`]: "internal",
        [`${a}/listen-ports`]: '[{"HTTPS": 443}]',
        [`${a}/certificate-arn`]: CERT,
        [`${a}/backend-protocol`]: "HTTPS",
        [`${a}/healthcheck-protocol`]: "HTTPS",
        [`${a}/healthcheck-path`]: "/healthz",
      },
    });
    const annotations = (ing.inputs.metadata as { annotations: Record<string, string> })
      .annotations;
    expect(annotations[`${a}/ssl-redirect`]).toBeUndefined();
    expect(annotations[`${a}/wafv2-acl-arn`]).toBeUndefined();
    expect(ing.inputs.spec).toEqual({
      ingressClassName: "alb",
      rules: [
        {
          host: "argocd.example.com",
          http: {
            paths: [
              {
                path: "/",
                pathType: "Prefix",
                backend: { service: { name: "argocd-server", port: { number: 443 } } },
              },
            ],
          },
        },
      ],
    });
    // SSO's redirect and Argo CD's links name the host; the output says where it is.
    expect((release(resources).inputs.values as Obj).configs).toMatchObject({
      cm: { url: "https://argocd.example.com" },
    });
    await expect(valueOf(value.argocdUrl)).resolves.toBe("https://argocd.example.com");
  });

  it("is made after the release, the controller, ExternalDNS and the admission policy that admits it", async () => {
    const { resources } = await synthStack(WITH_ALB);
    const [ing] = ingresses(resources);
    const urnOf = (pred: (r: RecordedResource) => boolean) => {
      const r = resources.find(pred);
      if (!r) throw new Error("missing");
      return r.urn;
    };
    const releaseNamed = (n: string) =>
      urnOf((r) => r.type === "kubernetes:helm.sh/v3:Release" && r.inputs.name === n);
    expect(ing.dependencies).toEqual(
      expect.arrayContaining([
        releaseNamed("argocd"),
        releaseNamed("aws-load-balancer-controller"),
        releaseNamed("external-dns"),
        urnOf((r) => r.type.endsWith(":ValidatingAdmissionPolicy")),
        urnOf((r) => r.type.endsWith(":ValidatingAdmissionPolicyBinding")),
      ]),
    );
    // The policy admits it: its host, backend and annotations are one of the allowed sets.
    const policy = ofType(
      resources,
      "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy",
    )[0];
    const expr = JSON.stringify(policy.inputs.spec);
    expect(expr).toContain("object.metadata.namespace == 'argocd'");
    expect(expr).toContain("r.host == 'argocd.example.com'");
    expect(expr).toContain(`object.metadata.annotations['${a}/backend-protocol'] == 'HTTPS'`);
  });

  it("lets ExternalDNS publish argocd.<zone> besides the public services' names", async () => {
    const { resources } = await synthStack(WITH_ALB);
    const policy = ofType(resources, "aws:iam/rolePolicy:RolePolicy").find((r) =>
      /external-dns/.test(r.name),
    );
    expect(String(policy?.inputs.policy)).toContain("argocd.example.com");
  });

  it("takes an internet-facing scheme, and refuses another", async () => {
    const { resources } = await synthStack({
      ...WITH_ALB,
      addons: {
        ...WITH_ALB.addons,
        argocd: { ...ON.addons.argocd, ingressScheme: "internet-facing" },
      },
    });
    expect(ingresses(resources)[0].inputs.metadata).toMatchObject({
      annotations: { [`${a}/scheme`]: "internet-facing" },
    });
    expect(
      configProblems({
        ...WITH_ALB,
        addons: { ...WITH_ALB.addons, argocd: { repoUrl: REPO, ingressScheme: "public" } },
      }),
    ).toEqual([
      expect.stringMatching(
        /^tap:addons\.argocd\.ingressScheme: .*internal, internet-facing.*"public"/,
      ),
    ]);
  });

  it("without a certificate or a zone stays ClusterIP, says why, and keeps the port-forward address", async () => {
    for (const addons of [
      { ...ON.addons, loadBalancerController: true, externalDns: WITH_ALB.addons.externalDns },
      { ...ON.addons, loadBalancerController: { certificateArn: CERT } },
    ]) {
      const { resources, value } = await synthStack({ ...ON, addons });
      expect(ingresses(resources)).toEqual([]);
      expect((release(resources).inputs.values as Obj).configs).toMatchObject({
        cm: { url: "https://localhost:8080" },
      });
      await expect(valueOf(value.argocdUrl)).resolves.toBe("https://localhost:8080");
      const { warnings } = resolveConfig({ ...ON, addons }, DEV_CONTEXT);
      expect(warnings).toEqual(
        expect.arrayContaining([
          expect.stringMatching(/^tap:addons\.argocd gets no load balancer without /),
        ]),
      );
    }
  });
});

describe("Argo CD off", () => {
  it("leaves no trace", async () => {
    const { resources, value } = await synthStack({ ...ON, addons: {} });
    expect(resources.filter((r) => /argo/.test(r.type) || /argocd/.test(r.name))).toEqual([]);
    await expect(valueOf(value.argocdPortForwardCommand)).resolves.toBeUndefined();
    await expect(valueOf(value.argocdUrl)).resolves.toBeUndefined();
  });
});
