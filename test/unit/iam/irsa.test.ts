import { irsaTrustPolicy } from "../../../lib/iam/irsa";
import { ACCOUNT, OIDC_ISSUER, OIDC_PROVIDER_ARN } from "../../helpers/mocks";
import { simulateWebIdentity } from "../../helpers/iam-sim";

const ROLE = `arn:aws:iam::${ACCOUNT}:role/tap-cluster-autoscaler-dev`;
const trust = irsaTrustPolicy(OIDC_PROVIDER_ARN, OIDC_ISSUER, "kube-system", "cluster-autoscaler");

describe("irsaTrustPolicy", () => {
  it("pins sub AND aud with StringEquals and the cluster's OIDC provider", () => {
    expect(trust.Statement).toEqual([
      {
        Effect: "Allow",
        Principal: { Federated: OIDC_PROVIDER_ARN },
        Action: "sts:AssumeRoleWithWebIdentity",
        Condition: {
          StringEquals: {
            [`${OIDC_ISSUER}:sub`]: "system:serviceaccount:kube-system:cluster-autoscaler",
            [`${OIDC_ISSUER}:aud`]: "sts.amazonaws.com",
          },
        },
      },
    ]);
  });

  it("strips https:// from the issuer so the condition keys match the token's issuer", () => {
    const withScheme = irsaTrustPolicy(OIDC_PROVIDER_ARN, `https://${OIDC_ISSUER}`, "a", "b");
    expect(Object.keys(withScheme.Statement[0].Condition?.StringEquals ?? {})).toEqual([
      `${OIDC_ISSUER}:sub`,
      `${OIDC_ISSUER}:aud`,
    ]);
  });

  it.each([
    [
      "the service account it names",
      "system:serviceaccount:kube-system:cluster-autoscaler",
      "sts.amazonaws.com",
      "Allowed",
    ],
    [
      "another service account in the namespace",
      "system:serviceaccount:kube-system:other",
      "sts.amazonaws.com",
      "ImplicitlyDenied",
    ],
    [
      "the same name in another namespace",
      "system:serviceaccount:default:cluster-autoscaler",
      "sts.amazonaws.com",
      "ImplicitlyDenied",
    ],
    [
      "a token for another audience",
      "system:serviceaccount:kube-system:cluster-autoscaler",
      "not-sts",
      "ImplicitlyDenied",
    ],
  ])("simulated AssumeRoleWithWebIdentity by %s: %s", async (_who, sub, aud, expected) => {
    await expect(
      simulateWebIdentity(trust, OIDC_ISSUER, OIDC_PROVIDER_ARN, ROLE, { sub, aud }),
    ).resolves.toBe(expected);
  });
});
