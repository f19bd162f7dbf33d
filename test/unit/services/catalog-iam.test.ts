import { DEFAULT_SERVICES } from "../../../lib/services/catalog";
import { catalogIamProblems } from "../../../lib/services/catalog-iam";
import { ServicePermission, ServiceSpec } from "../../../lib/services/types";

const LEDGER = DEFAULT_SERVICES[2];
const withPermissions = (...awsPermissions: ServicePermission[]): ServiceSpec[] => [
  DEFAULT_SERVICES[0],
  { ...LEDGER, awsPermissions },
];
const TABLE = "arn:${partition}:dynamodb:${region}:${account}:table/ledger";

describe("catalogIamProblems (AWS's service authorization data, run by the preflight)", () => {
  it("passes the default catalog", async () => {
    await expect(catalogIamProblems(DEFAULT_SERVICES)).resolves.toEqual([]);
  });

  it.each<[string, ServicePermission, string[]]>([
    [
      "an action that does not exist",
      { actions: ["dynamodb:GetItems"], resources: [TABLE] },
      [
        "tap:services[1].awsPermissions[0].actions[0] dynamodb:GetItems: action does not exist in iam-data's dynamodb actions",
      ],
    ],
    [
      "an ARN of another service",
      { actions: ["dynamodb:GetItem"], resources: ["arn:aws:s3:::ledger"] },
      [
        "tap:services[1].awsPermissions[0].actions[0] dynamodb:GetItem is granted on no resource it accepts (it accepts arn:${Partition}:dynamodb:${Region}:${Account}:table/${TableName})",
        "tap:services[1].awsPermissions[0].resources[0] arn:aws:s3:::ledger is accepted by no action of this statement",
      ],
    ],
    [
      "an action IAM grants only on *",
      { actions: ["sqs:ListQueues"], resources: ["arn:${partition}:sqs:${region}:${account}:q"] },
      [
        'tap:services[1].awsPermissions[0].actions[0] sqs:ListQueues accepts only Resource "*", which the catalog does not grant',
      ],
    ],
    [
      "a table action on an index ARN it also accepts, plus a stream ARN it does not",
      {
        actions: ["dynamodb:Query"],
        resources: [`${TABLE}/index/byDate`, `${TABLE}/stream/2026-01-01T00:00:00.000`],
      },
      [
        "tap:services[1].awsPermissions[0].resources[1] arn:${partition}:dynamodb:${region}:${account}:table/ledger/stream/2026-01-01T00:00:00.000 is accepted by no action of this statement",
      ],
    ],
  ])("names %s", async (_what, permission, expected) => {
    await expect(catalogIamProblems(withPermissions(permission))).resolves.toEqual(expected);
  });
});
