/**
 * Secrets from AWS Secrets Manager into pods: the Secrets Store CSI driver (kubernetes-sigs) and its
 * AWS provider, ASCP (aws/secrets-store-csi-driver-provider-aws), both DaemonSets in kube-system,
 * pinned in versions.ts. A catalog service that lists `secrets` gets a SecretProviderClass
 * (secret-provider-class.ts) and a read-only CSI volume at SECRETS_MOUNT_PATH; the provider fetches
 * each secret with a token of the pod's own service account, so the service's IRSA role
 * (service-iam.ts) is what may read it, and no other pod's.
 *
 * Why ASCP and not External Secrets Operator: ESO's controller reads every secret it syncs with its
 * own identity (one role that can read all services' secrets, or per-namespace stores) and copies
 * the values into Kubernetes Secrets in etcd; ASCP reads with each pod's identity and writes files
 * into the pod's tmpfs only (syncSecret is off: no Kubernetes Secret is made), and a pod whose role
 * cannot read a secret does not start, which is what a payments platform wants to see.
 * The driver is installed as its own release (ASCP's bundled subchart off) so each is pinned for
 * the cluster's minor; it is given the sts.amazonaws.com token audience ASCP needs for IRSA.
 */
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { deployHelmAddon } from "../helm-addon";
import { AddonContext, AddonResult } from "../types";

export const SECRETS_STORE_DEFAULTS = {
  driverReleaseName: "secrets-store-csi-driver",
  providerReleaseName: "secrets-store-csi-driver-provider-aws",
  namespace: "kube-system",
  /** The CSI driver name pods' volumes name (the driver's CSIDriver object). */
  csiDriver: "secrets-store.csi.k8s.io",
  /**
   * How often mounted secrets are re-read (the driver's rotation reconciler): ASCP's README
   * recommends one hour, as each re-read is a billed API call (DescribeSecret, then GetSecretValue
   * when it changed).
   */
  rotationPollInterval: "3600s",
  /** The provider's resources (its chart's defaults, stated). */
  providerResources: {
    requests: { cpu: "50m", memory: "100Mi" },
    limits: { cpu: "50m", memory: "100Mi" },
  },
  timeoutSeconds: 600,
} as const;

export interface SecretsStoreResult extends AddonResult {
  /** The driver's release: its CRD-install hook makes SecretProviderClass exist. */
  readonly driverRelease: k8s.helm.v3.Release;
  /** What a pod that mounts secrets waits for: the driver and the provider. */
  readonly dependsOn: readonly pulumi.Resource[];
}

/** Tolerates every taint: the driver and provider must run wherever a pod may mount secrets. */
const EVERYWHERE = [{ operator: "Exists" }];

export function deploySecretsStore(ctx: AddonContext): SecretsStoreResult {
  const d = SECRETS_STORE_DEFAULTS;
  const driverPin = ctx.pins.secretsStoreDriver;
  const providerPin = ctx.pins.secretsStoreAws;
  const driver = deployHelmAddon(ctx, {
    name: d.driverReleaseName,
    pin: driverPin,
    namespace: d.namespace,
    values: {
      linux: { tolerations: EVERYWHERE },
      // Files in the pod only: no Kubernetes Secret holds a copy of any value.
      syncSecret: { enabled: false },
      enableSecretRotation: true,
      rotationPollInterval: d.rotationPollInterval,
    },
    lockedValues: () => ({
      linux: { image: { repository: driverPin.image.repository, tag: driverPin.image.tag } },
      // ASCP exchanges this token of the pod's service account for its IRSA role (STS).
      tokenRequests: [{ audience: "sts.amazonaws.com" }],
    }),
    timeoutSeconds: d.timeoutSeconds,
  });
  const provider = deployHelmAddon(ctx, {
    name: d.providerReleaseName,
    pin: providerPin,
    namespace: d.namespace,
    values: {
      tolerations: EVERYWHERE,
      resources: d.providerResources,
    },
    lockedValues: () => ({
      image: { repository: providerPin.image.repository, tag: providerPin.image.tag },
      // Pods cannot reach IMDS: the provider is given the region.
      awsRegion: ctx.region,
      "secrets-store-csi-driver": { install: false },
    }),
    dependsOn: [driver.release],
    timeoutSeconds: d.timeoutSeconds,
  });
  return {
    ...provider,
    driverRelease: driver.release,
    dependsOn: [driver.release, provider.release],
  };
}
