/**
 * Local IAM policy simulation (@cloud-copilot/iam-simulate): answers "would AWS allow this request
 * under these policies?" offline. `simulate` returns Allowed / ImplicitlyDenied / ExplicitlyDenied
 * and fails loudly when the simulator ignored a context key (which would make a Deny meaningless).
 */
import { runSimulation } from "@cloud-copilot/iam-simulate";
import { PolicyDocument } from "../../lib/iam/policy";
import { ACCOUNT } from "./mocks";

export type Decision = "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied";

export interface SimRequest {
  readonly action: string;
  readonly resource: string;
  readonly context?: Record<string, string | string[]>;
  readonly principal?: string;
  /**
   * The resource's own policy, where the service requires one (a KMS key: without a key policy
   * that lets the account's IAM policies grant, nothing is allowed).
   */
  readonly resourcePolicy?: PolicyDocument;
}

/** Identity-policy simulation: may a role holding `policy` perform `request`? */
export async function simulate(policy: PolicyDocument, request: SimRequest): Promise<Decision> {
  const result = await runSimulation(
    {
      request: {
        principal: request.principal ?? `arn:aws:iam::${ACCOUNT}:role/tap-test`,
        action: request.action,
        resource: { resource: request.resource, accountId: ACCOUNT },
        contextVariables: request.context ?? {},
      },
      identityPolicies: [{ name: "under-test", policy }],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
    },
    {},
  );
  return decisionOf(result);
}

/**
 * Trust-policy simulation for IRSA: may the OIDC provider assume the role for this service
 * account? iam-simulate does not know EKS issuer condition keys and would silently ignore them, so
 * (as the security checklist documents) the issuer prefix is aliased to a key it knows, in both the
 * policy and the request.
 */
export async function simulateWebIdentity(
  trust: PolicyDocument,
  issuer: string,
  providerArn: string,
  roleArn: string,
  claims: { sub: string; aud: string },
): Promise<Decision> {
  const alias = (text: string): string =>
    text.split(`${issuer}:`).join("cognito-identity.amazonaws.com:");
  const aliased = JSON.parse(alias(JSON.stringify(trust))) as PolicyDocument;
  const result = await runSimulation(
    {
      request: {
        principal: providerArn,
        action: "sts:AssumeRoleWithWebIdentity",
        resource: { resource: roleArn, accountId: ACCOUNT },
        contextVariables: {
          "cognito-identity.amazonaws.com:sub": claims.sub,
          "cognito-identity.amazonaws.com:aud": claims.aud,
        },
      },
      identityPolicies: [],
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: aliased,
    },
    {},
  );
  return decisionOf(result);
}

function decisionOf(result: Awaited<ReturnType<typeof runSimulation>>): Decision {
  if (result.resultType === "error") {
    throw new Error(`simulation error: ${JSON.stringify(result.errors)}`);
  }
  if (result.resultType === "wildcard") {
    // Actions with no resource type (cloudwatch:GetMetricData, ...) are simulated against "*".
    for (const r of result.results) assertNoIgnoredKeys(r.ignoredContextKeys);
    return result.overallResult as Decision;
  }
  assertNoIgnoredKeys(result.result.ignoredContextKeys);
  return result.overallResult as Decision;
}

function assertNoIgnoredKeys(keys: readonly string[] | undefined): void {
  const ignored = keys ?? [];
  if (ignored.length > 0) {
    throw new Error(
      `simulator ignored context keys ${ignored.join(", ")}: the result would be meaningless`,
    );
  }
}

const SECRET_ARN_KEY = "kms:EncryptionContext:SecretARN";
const SECRET_ARN_ALIAS = "kms:RequestAlias";

/**
 * `simulate` for KMS requests that carry Secrets Manager's encryption context. iam-simulate does
 * not evaluate KMS's templated kms:EncryptionContext:<key> keys (it reports them ignored, and
 * `simulate` then refuses the result), so the key is renamed, in the policies and the request
 * alike, to kms:RequestAlias, a string key kms:Decrypt has: the same StringEquals is evaluated.
 * (The real key is checked against AWS's data in iam-data.test.ts.)
 */
export function simulateWithSecretContext(
  policy: PolicyDocument,
  request: SimRequest,
): Promise<Decision> {
  const alias = <T>(doc: T): T =>
    JSON.parse(JSON.stringify(doc).split(SECRET_ARN_KEY).join(SECRET_ARN_ALIAS)) as T;
  return simulate(alias(policy), {
    ...request,
    ...(request.context ? { context: alias(request.context) } : {}),
    ...(request.resourcePolicy ? { resourcePolicy: alias(request.resourcePolicy) } : {}),
  });
}
