/** The config contract's verdict on an input, as tests read it: every problem as `key: reason`. */
import { ResolveContext, TapConfigError, TapConfigInput, resolveConfig } from "../../lib/config";

export const DEV_CONTEXT: ResolveContext = { stackName: "dev", env: {} };

/** `tap:<key>: <reason>` for each problem resolveConfig reports; [] when the input is valid. */
export function configProblems(input: TapConfigInput, context = DEV_CONTEXT): string[] {
  try {
    resolveConfig(input, context);
    return [];
  } catch (e) {
    if (e instanceof TapConfigError) return e.problems.map((p) => `${p.propertyPath}: ${p.reason}`);
    throw e;
  }
}

/**
 * The capabilities that are off by default, all on (Karpenter instead of cluster-autoscaler), with
 * a public service that reads a secret encrypted with a customer key: the config that gives the
 * stack every IAM role and AWS API it can have.
 */
export const OPTIONAL_CAPABILITIES_ON = {
  addons: {
    karpenter: true,
    clusterAutoscaler: false,
    ebsCsi: true,
    loadBalancerController: true,
    externalDns: { hostedZoneId: "Z0123456789ABCDEFGHIJ" },
    secretsStore: true,
    istio: true,
    containerInsights: true,
    registry: { githubRepository: "acme/payments" },
    database: true,
    edge: true,
    costAlerts: { monthlyBudgetUsd: 1000 },
  },
  services: [
    {
      name: "gateway",
      public: true,
      imageTag: "1.4.2",
      database: "main",
      secrets: [
        {
          arn: "arn:${partition}:secretsmanager:${region}:${account}:secret:gateway/tls-AbCdEf",
          kmsKeyArn:
            "arn:${partition}:kms:${region}:${account}:key/1234abcd-12ab-34cd-56ef-1234567890ab",
        },
      ],
    },
  ],
} as const;
