/**
 * The add-ons' namespaces, as lib/addons/reserved-namespaces.ts lists them, are every namespace a
 * capability puts its components in (besides kube-system): synthesized with the capabilities on,
 * every Helm release's namespace and every Namespace tap creates outside the catalog and tenants
 * is one of them. So the catalog's reserved names and Argo CD's denied destinations miss none.
 */
import { ADDON_NAMESPACES } from "../../../lib/addons/reserved-namespaces";
import { RESERVED_SERVICE_NAMES } from "../../../lib/services/catalog";
import { ofType, synthStack } from "../../helpers/mocks";

const VARIANTS = {
  "App Mesh and Container Insights": {
    enableAppMesh: "true",
    addons: { containerInsights: true, threatDetection: true },
  },
  "every other capability": {
    enableAppMesh: "false",
    addons: {
      clusterAutoscaler: false,
      karpenter: true,
      loadBalancerController: true,
      externalDns: { hostedZoneId: "Z0123456789ABCDEFGHIJ" },
      secretsStore: true,
      istio: true,
      ebsCsi: true,
      kyverno: true,
      falco: true,
      argocd: { repoUrl: "https://github.com/acme/platform.git" },
      argoRollouts: true,
      tracing: true,
      prometheus: true,
    },
  },
};

describe.each(Object.entries(VARIANTS))("the add-ons' namespaces with %s", (_, config) => {
  it("are all listed, and reserved from the catalog", async () => {
    const { resources } = await synthStack({ kubernetesVersion: "1.35", ...config });
    const catalog = new Set(["payments", "ledger", "gateway"]);
    const used = new Set<string>([
      ...ofType(resources, "kubernetes:helm.sh/v3:Release").map((r) => String(r.inputs.namespace)),
      ...ofType(resources, "kubernetes:core/v1:Namespace").map((r) =>
        String((r.inputs.metadata as { name: string }).name),
      ),
    ]);
    const unlisted = [...used].filter(
      (ns) =>
        ns !== "kube-system" &&
        !catalog.has(ns) &&
        !(ADDON_NAMESPACES as readonly string[]).includes(ns),
    );
    expect(unlisted).toEqual([]);
    for (const ns of ADDON_NAMESPACES) expect(RESERVED_SERVICE_NAMES).toContain(ns);
  });
});
