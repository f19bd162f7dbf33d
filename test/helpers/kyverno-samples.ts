/**
 * Workloads to admit or refuse: one that passes every tap policy and variants that each break one
 * rule, shared by the offline evaluation (test/unit/addons/kyverno) and the Kyverno CLI
 * (test/kyverno).
 */
export type Obj = Record<string, unknown>;

export const container = (over: Obj = {}): Obj => ({
  name: "app",
  image: "123456789012.dkr.ecr.us-east-1.amazonaws.com/tap-dev/payments:1.4.2",
  resources: { requests: { cpu: "100m", memory: "128Mi" }, limits: { cpu: "1", memory: "256Mi" } },
  securityContext: {
    allowPrivilegeEscalation: false,
    capabilities: { drop: ["ALL"] },
    readOnlyRootFilesystem: true,
  },
  ...over,
});

/** A Pod; `labels` null drops every label, otherwise they are merged over tap's. */
export const pod = (spec: Obj = {}, labels: Obj | null = {}, name = "p"): Obj => ({
  apiVersion: "v1",
  kind: "Pod",
  metadata: {
    name,
    ...(labels === null
      ? {}
      : {
          labels: {
            "app.kubernetes.io/name": "payments",
            "app.kubernetes.io/part-of": "tap",
            "tap/environment": "dev",
            ...labels,
          },
        }),
  },
  spec: {
    securityContext: { runAsNonRoot: true, seccompProfile: { type: "RuntimeDefault" } },
    containers: [container()],
    ...spec,
  },
});
export const withContainer = (over: Obj): Obj => pod({ containers: [container(over)] });
export const withSc = (sc: Obj): Obj =>
  withContainer({ securityContext: { ...(container().securityContext as Obj), ...sc } });

export const deploymentOf = (p: Obj, name = "d"): Obj => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name, labels: (p.metadata as Obj).labels },
  spec: {
    selector: { matchLabels: { "app.kubernetes.io/name": "payments" } },
    template: { metadata: p.metadata, spec: p.spec },
  },
});
export const cronJobOf = (p: Obj, name = "c"): Obj => ({
  apiVersion: "batch/v1",
  kind: "CronJob",
  metadata: { name },
  spec: {
    schedule: "0 * * * *",
    jobTemplate: {
      spec: {
        template: { metadata: p.metadata, spec: { ...(p.spec as Obj), restartPolicy: "Never" } },
      },
    },
  },
});

/** Named workloads and the enforcing policy that refuses each (null: admitted). */
export const SAMPLES: readonly {
  readonly name: string;
  readonly object: Obj;
  readonly refusedBy: string | null;
}[] = [
  { name: "good", object: pod(), refusedBy: null },
  {
    name: "good-digest",
    object: withContainer({ image: `registry.example.com:5000/app@sha256:${"a".repeat(64)}` }),
    refusedBy: null,
  },
  { name: "good-deployment", object: deploymentOf(pod()), refusedBy: null },
  { name: "privileged", object: withSc({ privileged: true }), refusedBy: "tap-pss-restricted" },
  { name: "host-network", object: pod({ hostNetwork: true }), refusedBy: "tap-pss-restricted" },
  {
    name: "host-path",
    object: pod({ volumes: [{ name: "h", hostPath: { path: "/etc" } }] }),
    refusedBy: "tap-pss-restricted",
  },
  { name: "root", object: withSc({ runAsUser: 0 }), refusedBy: "tap-pss-restricted" },
  {
    name: "add-sys-admin",
    object: withSc({ capabilities: { drop: ["ALL"], add: ["SYS_ADMIN"] } }),
    refusedBy: "tap-pss-restricted",
  },
  {
    name: "no-seccomp",
    object: pod({ securityContext: { runAsNonRoot: true } }),
    refusedBy: "tap-pss-restricted",
  },
  {
    name: "latest",
    object: withContainer({ image: "nginx:latest" }),
    refusedBy: "tap-disallow-latest-tag",
  },
  {
    name: "untagged",
    object: withContainer({ image: "nginx" }),
    refusedBy: "tap-disallow-latest-tag",
  },
  {
    name: "untagged-port",
    object: withContainer({ image: "registry.example.com:5000/app" }),
    refusedBy: "tap-disallow-latest-tag",
  },
  {
    name: "latest-deployment",
    object: deploymentOf(withContainer({ image: "nginx:latest" })),
    refusedBy: "tap-disallow-latest-tag",
  },
  {
    name: "latest-cronjob",
    object: cronJobOf(withContainer({ image: "nginx:latest" })),
    refusedBy: "tap-disallow-latest-tag",
  },
  {
    name: "no-resources",
    object: withContainer({ resources: {} }),
    refusedBy: "tap-require-requests-limits",
  },
  {
    name: "no-limits",
    object: withContainer({ resources: { requests: { cpu: "1", memory: "1Gi" } } }),
    refusedBy: "tap-require-requests-limits",
  },
  { name: "no-labels", object: pod({}, null), refusedBy: "tap-require-labels" },
];
