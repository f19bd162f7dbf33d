/**
 * Node classes (tap:nodeClasses): absent, the specification's two 70/30 groups exactly as before;
 * with the gpu class, a Bottlerocket NVIDIA group at zero with its taint and accelerator label,
 * the scale-from-zero tags cluster-autoscaler reads on its auto scaling group, and catalog
 * services that ask for it scheduled there (and only they). Every config error at once, named.
 */
import * as fs from "fs";
import * as path from "path";
import { resolveConfig } from "../../lib/config";
import { GPU_INSTANCE_TYPES } from "../../lib/gpu-instance-types";
import {
  ACCELERATOR_LABEL,
  GPU_TAINT,
  NODE_CLASS_LABEL,
  nodeClassDefinition,
  scaleFromZeroTags,
} from "../../lib/node-classes";
import { configProblems } from "../helpers/config";
import { RecordedResource, named, ofType, synthStack } from "../helpers/mocks";

const BASE = { enableAppMesh: "false", kubernetesVersion: "1.35" };
const GPU = { ...BASE, nodeClasses: { gpu: true } };
const MNG = "eks:index:ManagedNodeGroup";
const ASG_TAG = "aws:autoscaling/tag:Tag";
const IMAGE = "public.ecr.aws/tap/app:1.0.0";
type Obj = Record<string, unknown>;
type Taint = { key: string; value: string; effect: string };
type Toleration = { key: string; operator: string; value?: string; effect?: string };

const groups = (resources: readonly RecordedResource[]) =>
  Object.fromEntries(ofType(resources, MNG).map((r) => [r.name, r.inputs]));

describe("tap:nodeClasses absent: the specification's compute, unchanged", () => {
  it("two 70/30 groups, no class label, no taint, no auto scaling group tag", async () => {
    const { resources } = await synthStack(BASE);
    const g = groups(resources);
    expect(Object.keys(g).sort()).toEqual(["tap-ondemand-dev", "tap-spot-dev"]);
    for (const inputs of Object.values(g)) {
      expect(Object.keys(inputs.labels as Obj)).toEqual(["tap/capacity-type"]);
      expect(inputs.taints).toBeUndefined();
    }
    expect(ofType(resources, ASG_TAG)).toEqual([]);
    expect(resolveConfig(BASE, { stackName: "dev" }).config.nodeClasses).toEqual({});
  });
});

describe("the gpu class", () => {
  it("is a Bottlerocket NVIDIA group at zero, on-demand, tainted and labelled with its accelerator", async () => {
    const { resources } = await synthStack(GPU);
    const g = groups(resources);
    expect(Object.keys(g).sort()).toEqual(["tap-gpu-dev", "tap-ondemand-dev", "tap-spot-dev"]);
    expect(g["tap-gpu-dev"]).toMatchObject({
      capacityType: "ON_DEMAND",
      amiType: "BOTTLEROCKET_x86_64_NVIDIA",
      instanceTypes: ["g5.xlarge"],
      scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 2 },
      labels: {
        "tap/capacity-type": "on-demand",
        [NODE_CLASS_LABEL]: "gpu",
        [ACCELERATOR_LABEL]: "nvidia-a10g",
      },
      taints: [{ key: "nvidia.com/gpu", value: "true", effect: "NO_SCHEDULE" }],
      // cluster-autoscaler owns its size.
      ignoreScalingChanges: true,
    });
    // The 70/30 groups are the application class now, untainted.
    for (const n of ["tap-spot-dev", "tap-ondemand-dev"]) {
      expect((g[n].labels as Obj)[NODE_CLASS_LABEL]).toBe("application");
      expect(g[n].taints).toBeUndefined();
    }
  });

  it("tags its auto scaling group with what cluster-autoscaler needs to start one from zero", async () => {
    const { resources } = await synthStack(GPU);
    const tags = ofType(resources, ASG_TAG).map((r) => r.inputs) as {
      autoscalingGroupName: string;
      tag: { key: string; value: string; propagateAtLaunch: boolean };
    }[];
    const p = "k8s.io/cluster-autoscaler/node-template";
    expect(Object.fromEntries(tags.map((t) => [t.tag.key, t.tag.value]))).toEqual({
      [`${p}/label/${NODE_CLASS_LABEL}`]: "gpu",
      [`${p}/label/${ACCELERATOR_LABEL}`]: "nvidia-a10g",
      [`${p}/taint/nvidia.com/gpu`]: "true:NoSchedule",
      [`${p}/resources/nvidia.com/gpu`]: "1",
    });
    // On the GPU group's own auto scaling group (EKS names it eks-<node group>-<uuid>), read by
    // the autoscaler only: not propagated to instances.
    for (const t of tags) {
      expect(t.autoscalingGroupName).toMatch(/^eks-tap-gpu-dev-/);
      expect(t.tag.propagateAtLaunch).toBe(false);
    }
    // ...once the group exists.
    for (const r of ofType(resources, ASG_TAG))
      expect(r.dependencies).toContain(named(resources, "tap-gpu-dev").urn);
  });

  it("every label and taint of the group is in its scale-from-zero template, in the autoscaler's format", () => {
    const def = nodeClassDefinition("gpu", { gpu: { instanceTypes: ["g5.12xlarge"], maxSize: 1 } });
    const tags = scaleFromZeroTags(def, GPU_INSTANCE_TYPES["g5.12xlarge"].gpus);
    for (const [k, v] of Object.entries(def.labels))
      expect(tags[`k8s.io/cluster-autoscaler/node-template/label/${k}`]).toBe(v);
    for (const t of def.taints)
      expect(tags[`k8s.io/cluster-autoscaler/node-template/taint/${t.key}`]).toBe(
        `${t.value}:${t.effect}`,
      );
    expect(tags["k8s.io/cluster-autoscaler/node-template/resources/nvidia.com/gpu"]).toBe("4");
  });

  it("takes its instance types and size, and boots Bottlerocket when the others run AL2023", async () => {
    const { resources } = await synthStack({
      ...BASE,
      nodeOperatingSystem: "AL2023",
      nodeClasses: { gpu: { instanceTypes: ["g6.xlarge", "g6.2xlarge"], maxSize: "4" } },
    });
    const g = groups(resources);
    expect(g["tap-gpu-dev"]).toMatchObject({
      instanceTypes: ["g6.xlarge", "g6.2xlarge"],
      scalingConfig: { minSize: 0, desiredSize: 0, maxSize: 4 },
      labels: { [ACCELERATOR_LABEL]: "nvidia-l4" },
      launchTemplate: { id: "tap-gpu-lt-dev-id" },
    });
    expect(g["tap-spot-dev"]).toMatchObject({
      amiType: "AL2023_x86_64_STANDARD",
      launchTemplate: { id: "tap-node-lt-dev-id" },
    });
    const lt = named(resources, "tap-gpu-lt-dev").inputs;
    expect(lt.metadataOptions).toEqual({
      httpEndpoint: "enabled",
      httpTokens: "required",
      httpPutResponseHopLimit: 1,
    });
    expect((lt.blockDeviceMappings as { deviceName: string }[]).map((b) => b.deviceName)).toEqual([
      "/dev/xvda",
      "/dev/xvdb",
    ]);
  });
});

describe("the system class", () => {
  const SYSTEM = { ...BASE, nodeClasses: { system: true } };
  const RELEASE = "kubernetes:helm.sh/v3:Release";
  const release = (resources: readonly RecordedResource[], name: string) =>
    ofType(resources, RELEASE).find((r) => r.inputs.name === name)?.inputs.values as Obj;
  const SYSTEM_TAINT: Taint = { key: "CriticalAddonsOnly", value: "true", effect: "NoSchedule" };
  const tolerates = (tolerations: Toleration[] | undefined, taint: Taint) =>
    (tolerations ?? []).some(
      (t) =>
        t.key === taint.key &&
        (t.effect === undefined || t.effect === taint.effect) &&
        (t.operator === "Exists" || t.value === taint.value),
    );

  it("is an on-demand group of its own nodes, tainted CriticalAddonsOnly, beside the 70/30 groups", async () => {
    const { resources } = await synthStack(SYSTEM);
    const g = groups(resources);
    expect(Object.keys(g).sort()).toEqual(["tap-ondemand-dev", "tap-spot-dev", "tap-system-dev"]);
    expect(g["tap-system-dev"]).toMatchObject({
      capacityType: "ON_DEMAND",
      scalingConfig: { minSize: 2, desiredSize: 2, maxSize: 3 },
      labels: { "tap/capacity-type": "on-demand", [NODE_CLASS_LABEL]: "system" },
      taints: [{ key: "CriticalAddonsOnly", value: "true", effect: "NO_SCHEDULE" }],
    });
    // The application's split is unchanged by it.
    expect((g["tap-spot-dev"].scalingConfig as Obj).desiredSize).toBe(7);
    expect((g["tap-ondemand-dev"].scalingConfig as Obj).desiredSize).toBe(3);
  });

  it("takes the critical add-ons: CoreDNS, Calico's control plane and Typha, cluster-autoscaler", async () => {
    const { resources } = await synthStack(SYSTEM);
    const systemLabels = groups(resources)["tap-system-dev"].labels as Obj;
    const onSystem = (selector: Obj | undefined, tolerations: Toleration[] | undefined) => {
      expect(selector).toBeDefined();
      for (const [k, v] of Object.entries(selector ?? {})) {
        if (k === "kubernetes.io/os") continue;
        expect(systemLabels[k]).toBe(v);
      }
      expect(tolerates(tolerations, SYSTEM_TAINT)).toBe(true);
    };
    // CoreDNS (the EKS add-on's configuration values).
    const coredns = JSON.parse(
      String(named(resources, "tap-coredns-dev").inputs.configurationValues),
    ) as {
      nodeSelector: Obj;
      tolerations: Toleration[];
    };
    onSystem(coredns.nodeSelector, coredns.tolerations);
    // cluster-autoscaler.
    const ca = release(resources, "cluster-autoscaler");
    onSystem(ca.nodeSelector as Obj, ca.tolerations as Toleration[]);
    // Calico: kube-controllers by controlPlaneNodeSelector (it tolerates CriticalAddonsOnly by the
    // operator's default), the operator by the chart's nodeSelector (its chart tolerates every
    // NoSchedule taint), Typha preferring the class (it tolerates every taint).
    const calico = release(resources, "calico");
    const installation = calico.installation as {
      controlPlaneNodeSelector: Obj;
      controlPlaneTolerations?: unknown;
      typhaDeployment: { spec: { template: { spec: { affinity: { nodeAffinity: Obj } } } } };
    };
    onSystem(installation.controlPlaneNodeSelector, [
      { key: "CriticalAddonsOnly", operator: "Exists" },
    ]);
    // Not set: it would replace Typha's tolerate-all and kube-controllers' defaults.
    expect(installation.controlPlaneTolerations).toBeUndefined();
    expect(calico.nodeSelector).toMatchObject({ [NODE_CLASS_LABEL]: "system" });
    expect(
      installation.typhaDeployment.spec.template.spec.affinity.nodeAffinity
        .preferredDuringSchedulingIgnoredDuringExecution,
    ).toEqual([
      {
        weight: 100,
        preference: {
          matchExpressions: [{ key: NODE_CLASS_LABEL, operator: "In", values: ["system"] }],
        },
      },
    ]);
  });

  it("is tolerated by nothing else: no other add-on, no catalog service", async () => {
    const { resources } = await synthStack(SYSTEM);
    const text = (r: RecordedResource) => JSON.stringify(r.inputs);
    const tolerating = resources
      .filter((r) => text(r).includes("CriticalAddonsOnly"))
      .map((r) => r.name)
      .sort();
    expect(tolerating).toEqual(["cluster-autoscaler-dev", "tap-coredns-dev", "tap-system-dev"]);
  });

  it("without it, the critical add-ons keep their on-demand selector and EKS's CoreDNS defaults", async () => {
    const { resources } = await synthStack(BASE);
    expect(named(resources, "tap-coredns-dev").inputs.configurationValues).toBeUndefined();
    expect(release(resources, "cluster-autoscaler").nodeSelector).toEqual({
      "eks.amazonaws.com/capacityType": "ON_DEMAND",
    });
    expect(release(resources, "cluster-autoscaler").tolerations).toBeUndefined();
    expect(
      (release(resources, "calico").installation as { controlPlaneNodeSelector: Obj })
        .controlPlaneNodeSelector,
    ).toEqual({ "eks.amazonaws.com/capacityType": "ON_DEMAND" });
  });

  it("is refused with Karpenter (its own system group), and takes 2 to 10 nodes", () => {
    expect(
      configProblems({ ...SYSTEM, addons: { clusterAutoscaler: false, karpenter: true } }),
    ).toEqual([
      expect.stringMatching(/^tap:nodeClasses\.system: .*tap:addons\.karpenter cannot both be on/),
    ]);
    expect(configProblems({ ...BASE, nodeClasses: { system: { nodes: 1 } } })).toEqual([
      expect.stringMatching(/^tap:nodeClasses\.system\.nodes: .*integer from 2 to 10.*\(got 1\)/),
    ]);
    expect(
      resolveConfig({ ...BASE, nodeClasses: { system: { nodes: "3" } } }, { stackName: "dev" })
        .config.nodeClasses,
    ).toEqual({ system: { nodes: 3 } });
    expect(configProblems({ ...GPU_SERVICE_ON_SYSTEM })).toEqual([
      expect.stringMatching(
        /tap:services\[0\]\.nodeClass.*one of application, gpu \(got "system"\)/,
      ),
    ]);
  });
});

const GPU_SERVICE_ON_SYSTEM = {
  ...BASE,
  nodeClasses: { system: true },
  services: [{ name: "a", image: IMAGE, nodeClass: "system" }],
};

describe("the node agents on every class", () => {
  it("Fluent Bit, Falco and the Secrets Store driver and provider tolerate the system and GPU taints", async () => {
    const { resources } = await synthStack({
      ...BASE,
      nodeClasses: { system: true, gpu: true },
      addons: { falco: true, secretsStore: true },
    });
    const values = (name: string) =>
      ofType(resources, "kubernetes:helm.sh/v3:Release").find((r) => r.inputs.name === name)?.inputs
        .values as Obj;
    const agents: Record<string, Toleration[]> = {
      "fluent-bit": values("fluent-bit").tolerations as Toleration[],
      falco: values("falco").tolerations as Toleration[],
      "secrets-store-csi-driver": (values("secrets-store-csi-driver").linux as Obj)
        .tolerations as Toleration[],
      "secrets-store-csi-driver-provider-aws": values("secrets-store-csi-driver-provider-aws")
        .tolerations as Toleration[],
    };
    const taints = ofType(resources, MNG).flatMap((r) =>
      ((r.inputs.taints ?? []) as Taint[]).map((t) => ({ ...t, effect: "NoSchedule" })),
    );
    expect(taints.map((t) => t.key).sort()).toEqual(["CriticalAddonsOnly", "nvidia.com/gpu"]);
    for (const [agent, tolerations] of Object.entries(agents))
      for (const t of taints)
        expect({
          agent,
          taint: t.key,
          tolerated: (tolerations ?? []).some(
            (x) =>
              x.operator === "Exists" &&
              (x.key === undefined || x.key === t.key) &&
              (x.effect === undefined || x.effect === t.effect),
          ),
        }).toEqual({ agent, taint: t.key, tolerated: true });
  });
});

describe("a catalog service on the gpu class", () => {
  const services = [
    { name: "gateway", image: IMAGE, public: true, calls: ["inference"] },
    { name: "inference", image: IMAGE, nodeClass: "gpu" },
  ];
  const pod = (resources: readonly RecordedResource[], svc: string) =>
    (
      named(resources, `svc-${svc}-deployment-dev`).inputs as {
        spec: { template: { spec: Obj & { containers: Obj[] } } };
      }
    ).spec.template.spec;
  const tolerates = (tolerations: Toleration[] | undefined, taint: Taint) =>
    (tolerations ?? []).some(
      (t) =>
        t.key === taint.key &&
        t.effect === taint.effect &&
        (t.operator === "Exists" || t.value === taint.value),
    );

  it("runs on the GPU group only, one GPU a pod; the others never land there", async () => {
    const { resources } = await synthStack({ ...GPU, services });
    const gpuGroup = groups(resources)["tap-gpu-dev"] as { labels: Obj; taints: Taint[] };
    const k8sTaints = gpuGroup.taints.map((t) => ({ ...t, effect: "NoSchedule" }));
    const inference = pod(resources, "inference");
    // Its node selector is a subset of the group's labels; it tolerates every taint of the group.
    for (const [k, v] of Object.entries(inference.nodeSelector as Obj))
      expect(gpuGroup.labels[k]).toBe(v);
    for (const t of k8sTaints)
      expect(tolerates(inference.tolerations as Toleration[], t)).toBe(true);
    const resourcesOf = inference.containers[0].resources as {
      requests: Obj;
      limits: Obj;
    };
    expect(resourcesOf.limits["nvidia.com/gpu"]).toBe("1");
    expect(resourcesOf.requests["nvidia.com/gpu"]).toBe("1");
    // No spot preference: the GPU group is on-demand.
    expect(inference.affinity).toBeUndefined();
    // The gateway tolerates no GPU taint and asks for no GPU.
    const gateway = pod(resources, "gateway");
    for (const t of k8sTaints)
      expect(tolerates(gateway.tolerations as Toleration[], t)).toBe(false);
    expect(gateway.nodeSelector).toBeUndefined();
    expect(
      (gateway.containers[0].resources as { limits: Obj }).limits["nvidia.com/gpu"],
    ).toBeUndefined();
    expect(GPU_TAINT).toEqual({ key: "nvidia.com/gpu", value: "true", effect: "NoSchedule" });
  });

  it("needs tap:nodeClasses.gpu, and takes only the classes there are", () => {
    expect(configProblems({ ...BASE, services })).toEqual([
      'tap:services: tap:services[1].nodeClass "gpu" of "inference" needs tap:nodeClasses.gpu (pulumi config set --path tap:nodeClasses.gpu true)',
    ]);
    expect(
      configProblems({
        ...GPU,
        services: [{ name: "a", image: IMAGE, nodeClass: "tpu" }],
      }),
    ).toEqual([
      expect.stringMatching(/tap:services\[0\]\.nodeClass.*one of application, gpu \(got "tpu"\)/),
    ]);
  });
});

describe("tap:nodeClasses's errors", () => {
  it("names every bad key and value at once", () => {
    expect(
      configProblems({
        ...BASE,
        nodeClasses: {
          tpu: true,
          application: { instanceTypes: ["m6i.large"] },
          gpu: { instanceTypes: ["m5.large", "g5.xlarge"], maxSize: 0 },
        },
      }),
    ).toEqual([
      expect.stringMatching(
        /^tap:nodeClasses\.tpu: .*not a node class tap builds; known: system, gpu/,
      ),
      expect.stringMatching(/^tap:nodeClasses\.application: .*always there/),
      expect.stringMatching(
        /^tap:nodeClasses\.gpu\.instanceTypes: .*NVIDIA GPU instance types tap knows \(g4dn, g5, g6, g6e families\) \(got \["m5\.large"\]\)/,
      ),
      expect.stringMatching(/^tap:nodeClasses\.gpu\.maxSize: .*integer from 1 to 100 \(got 0\)/),
    ]);
  });

  it.each([
    [["g5.xlarge", "g6.xlarge"], /one accelerator, architecture and GPU count/],
    [["g5.xlarge", "g5.12xlarge"], /one accelerator, architecture and GPU count/],
    [["g5.xlarge", "g5.xlarge"], /duplicates/],
    [[], /non-empty list/],
  ])("refuses instance types %j", (instanceTypes, reason) => {
    expect(configProblems({ ...BASE, nodeClasses: { gpu: { instanceTypes } } })).toEqual([
      expect.stringMatching(
        new RegExp(`^tap:nodeClasses\\.gpu\\.instanceTypes: .*${reason.source}`),
      ),
    ]);
  });

  it("refuses a group at zero that nothing can start", () => {
    expect(
      configProblems({ ...GPU, addons: { clusterAutoscaler: false, karpenter: true } }),
    ).toEqual([expect.stringMatching(/^tap:nodeClasses\.gpu: .*Karpenter.*NodePool/)]);
    expect(configProblems({ ...GPU, addons: { clusterAutoscaler: false } })).toEqual([
      expect.stringMatching(/^tap:nodeClasses\.gpu: .*turn cluster-autoscaler on/),
    ]);
  });

  it("takes the map as Pulumi passes it (JSON text) and false as absent", () => {
    const cfg = (nodeClasses: unknown) =>
      resolveConfig({ ...BASE, nodeClasses }, { stackName: "dev" }).config.nodeClasses;
    expect(cfg('{"gpu":{"maxSize":"3"}}')).toEqual({
      gpu: { instanceTypes: ["g5.xlarge"], maxSize: 3 },
    });
    expect(cfg({ gpu: false })).toEqual({});
  });
});

describe("the GPU instance table", () => {
  it("is cluster-autoscaler's: GPUs and architecture per type (facts/gpu-instance-types.json)", () => {
    const facts = JSON.parse(
      fs.readFileSync(path.join(__dirname, "../../facts/gpu-instance-types.json"), "utf8"),
    ) as {
      source: string;
      instanceTypes: Record<string, { gpus: number; architecture: string }>;
    };
    expect(facts.source).toMatch(/^kubernetes\/autoscaler@cluster-autoscaler-1\.35\.2:/);
    expect(Object.keys(GPU_INSTANCE_TYPES).sort()).toEqual(Object.keys(facts.instanceTypes).sort());
    for (const [t, f] of Object.entries(facts.instanceTypes)) {
      expect(GPU_INSTANCE_TYPES[t].gpus).toBe(f.gpus);
      expect(GPU_INSTANCE_TYPES[t].architecture).toBe(
        f.architecture === "amd64" ? "x86_64" : f.architecture,
      );
    }
  });
});
