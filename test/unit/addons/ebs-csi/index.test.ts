/**
 * The EBS CSI driver capability: the managed add-on with its own IRSA role, the encrypted gp3
 * default StorageClass, gp2 unmarked where EKS marks it (1.28), and the KMS grants simulated.
 */
import { kmsKeyPolicy } from "../../../../lib/cluster";
import { ebsCsiKmsPolicy } from "../../../../lib/addons/ebs-csi/iam";
import { simulate } from "../../../helpers/iam-sim";
import { validateManifest } from "../../../helpers/k8s-schema";
import {
  ACCOUNT,
  REGION,
  RecordedResource,
  ofType,
  one,
  synthStack,
  valueOf,
} from "../../../helpers/mocks";

const ON = { enableAppMesh: "false", addons: { ebsCsi: true } };

describe("EBS CSI driver", () => {
  let resources: readonly RecordedResource[];
  beforeAll(async () => {
    resources = (await synthStack({ ...ON, kubernetesVersion: "1.35" })).resources;
  });

  it("is the EKS managed add-on for the cluster's minor, with its own IRSA role", () => {
    const addon = ofType(resources, "aws:eks/addon:Addon").find(
      (a) => a.inputs.addonName === "aws-ebs-csi-driver",
    );
    expect(addon).toBeDefined();
    expect(addon?.inputs.serviceAccountRoleArn).toMatch(/role\/tap-ebs-csi-dev$/);
    const role = one(resources, "aws:iam/role:Role", "tap-ebs-csi-dev");
    expect(String(role.inputs.assumeRolePolicy)).toContain(
      "system:serviceaccount:kube-system:ebs-csi-controller-sa",
    );
    const attached = ofType(resources, "aws:iam/rolePolicyAttachment:RolePolicyAttachment").find(
      (r) => r.name === "tap-ebs-csi-managed-dev",
    );
    expect(attached?.inputs.policyArn).toBe(
      "arn:aws:iam::aws:policy/service-role/AmazonEBSCSIDriverPolicy",
    );
  });

  it("makes gp3 the default StorageClass: encrypted with tap's key, WaitForFirstConsumer, expandable", () => {
    const sc = one(resources, "kubernetes:storage.k8s.io/v1:StorageClass");
    validateManifest(sc.inputs as Record<string, unknown>);
    expect(sc.inputs).toMatchObject({
      metadata: {
        name: "gp3",
        annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
      },
      provisioner: "ebs.csi.aws.com",
      parameters: { type: "gp3", encrypted: "true" },
      volumeBindingMode: "WaitForFirstConsumer",
      allowVolumeExpansion: true,
      reclaimPolicy: "Delete",
    });
    const key = one(resources, "aws:kms/key:Key");
    expect((sc.inputs.parameters as { kmsKeyId: string }).kmsKeyId).toMatch(/^arn:aws:kms:/);
    expect(key).toBeDefined();
    // From 1.30 EKS no longer marks gp2 default: nothing to unmark.
    expect(ofType(resources, "kubernetes:storage.k8s.io/v1:StorageClassPatch")).toEqual([]);
  });

  it("unmarks EKS's gp2 default on 1.28, where EKS still marks it", async () => {
    const old = (await synthStack({ ...ON, kubernetesVersion: "1.28" })).resources;
    const patch = one(old, "kubernetes:storage.k8s.io/v1:StorageClassPatch");
    expect(patch.inputs.metadata).toEqual({
      name: "gp2",
      annotations: {
        "storageclass.kubernetes.io/is-default-class": "false",
        "pulumi.com/patchForce": "true",
      },
    });
  });

  it("outputs the StorageClass, and leaves no trace when off", async () => {
    const on = await synthStack({ ...ON, kubernetesVersion: "1.35" });
    expect(await valueOf(on.value.storageClassName)).toBe("gp3");
    const off = await synthStack({ enableAppMesh: "false", kubernetesVersion: "1.35" });
    expect(
      off.resources.filter((r) => /ebs-csi|gp3|StorageClass/i.test(`${r.type} ${r.name}`)),
    ).toEqual([]);
    expect(await valueOf(off.value.storageClassName)).toBeUndefined();
  });
});

describe("the EBS CSI driver's KMS grants, simulated with tap's key policy", () => {
  const KEY = `arn:aws:kms:${REGION}:${ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab`;
  const policy = ebsCsiKmsPolicy(KEY);
  const resourcePolicy = JSON.parse(kmsKeyPolicy("aws", REGION, ACCOUNT, [])) as typeof policy;
  const sim = (action: string, context: Record<string, string> = {}, resource = KEY) =>
    simulate(policy, { action, resource, context, resourcePolicy });

  it("creates grants only for AWS resources (EBS), on tap's key only", async () => {
    expect(await sim("kms:CreateGrant", { "kms:GrantIsForAWSResource": "true" })).toBe("Allowed");
    expect(await sim("kms:CreateGrant", { "kms:GrantIsForAWSResource": "false" })).toBe(
      "ImplicitlyDenied",
    );
    const other = `arn:aws:kms:${REGION}:${ACCOUNT}:key/ffffffff-12ab-34cd-56ef-1234567890ab`;
    expect(await sim("kms:GenerateDataKeyWithoutPlaintext", {}, other)).toBe("ImplicitlyDenied");
    expect(await sim("kms:GenerateDataKeyWithoutPlaintext")).toBe("Allowed");
    expect(await sim("kms:ScheduleKeyDeletion")).toBe("ImplicitlyDenied");
  });
});
