/**
 * The deployed platform, checked with the AWS SDK against the stack outputs (`npm run
 * test:integration`). Without an outputs file the suite is skipped with one line saying how to
 * produce it, and exits 0; set TAP_REQUIRE_OUTPUTS=true (CI's deploy job does) to fail instead.
 */
import { AutoScalingClient } from "@aws-sdk/client-auto-scaling";
import { CloudWatchLogsClient } from "@aws-sdk/client-cloudwatch-logs";
import { EKSClient } from "@aws-sdk/client-eks";
import { IAMClient } from "@aws-sdk/client-iam";
import {
  checkAutoscalingTags,
  checkCluster,
  checkIrsaRoles,
  checkLogGroups,
  checkNodeGroups,
} from "./checks";
import { OutputsLoad, loadOutputs, resolveExpectations, skipReason } from "./outputs";

const AWS_TIMEOUT_MS = 120_000;

let load: OutputsLoad | Error;
try {
  load = loadOutputs();
} catch (e) {
  load = e as Error;
}

if (load instanceof Error) {
  const error = load;
  describe("tap platform", () => {
    it("has a readable outputs file", () => {
      throw error;
    });
  });
} else if (load.outputs === undefined) {
  const line = skipReason(load.reason);
  if (process.env.TAP_REQUIRE_OUTPUTS === "true") {
    describe("tap platform", () => {
      it("has stack outputs (TAP_REQUIRE_OUTPUTS=true)", () => {
        throw new Error(line);
      });
    });
  } else {
    console.log(line);
    describe.skip(line, () => {
      it("checks the deployed platform", () => undefined);
    });
  }
} else {
  const outputs = load.outputs;
  const expected = resolveExpectations(outputs);
  const config = { region: outputs.region };
  const eks = new EKSClient(config);
  const logs = new CloudWatchLogsClient(config);
  const iam = new IAMClient(config);
  const asg = new AutoScalingClient(config);

  describe(`tap platform ${outputs.environmentSuffix} in ${outputs.region} (expectations: ${expected.source})`, () => {
    afterAll(() => {
      for (const client of [eks, logs, iam, asg]) client.destroy();
    });

    it(
      `cluster ${outputs.clusterName} is ACTIVE on ${expected.kubernetesVersion}, KMS-encrypted, OIDC and all log types on`,
      async () => {
        const findings = await checkCluster(eks, outputs, {
          version: expected.kubernetesVersion,
          logTypes: expected.logTypes,
        });
        expect(findings).toEqual([]);
      },
      AWS_TIMEOUT_MS,
    );

    it(
      `node groups split ${expected.spotPercentage}% spot over private subnets`,
      async () => {
        const findings = await checkNodeGroups(eks, outputs, {
          totals: expected.nodeTotals,
          spotPercentage: expected.spotPercentage,
        });
        expect(findings).toEqual([]);
      },
      AWS_TIMEOUT_MS,
    );

    it(
      "node-group Auto Scaling groups carry the cluster-autoscaler discovery tags",
      async () => {
        expect(await checkAutoscalingTags(eks, asg, outputs)).toEqual([]);
      },
      AWS_TIMEOUT_MS,
    );

    it(
      `log groups keep ${expected.logRetentionDays} days and are encrypted with the stack's KMS key`,
      async () => {
        const findings = await checkLogGroups(logs, outputs, {
          retentionDays: expected.logRetentionDays,
        });
        expect(findings).toEqual([]);
      },
      AWS_TIMEOUT_MS,
    );

    it(
      `IRSA roles (${Object.keys(outputs.irsaRoleArns ?? {}).length}) trust exactly one service account through the cluster's OIDC provider`,
      async () => {
        expect(await checkIrsaRoles(iam, outputs)).toEqual([]);
      },
      AWS_TIMEOUT_MS,
    );
  });
}
