import { CREATOR_TAG, clusterCreator } from "../../lib/creator";

describe("clusterCreator: pulumi-eks's bootstrap admin, remembered across runs", () => {
  const RECORDED = "arn:aws:sts::123456789012:assumed-role/Laptop";
  const CI = "arn:aws:sts::123456789012:assumed-role/GitHubDeploy";

  it("is the caller when the cluster does not exist yet (this run creates it)", async () => {
    const asked: string[] = [];
    const lookup = async (name: string) => {
      asked.push(name);
      return undefined;
    };
    await expect(clusterCreator("tap-eks-dev", CI, lookup)).resolves.toBe(CI);
    expect(asked).toEqual(["tap-eks-dev"]);
  });

  it("is the recorded creator on later runs, whoever runs them", async () => {
    const lookup = async () => ({ Environment: "dev", [CREATOR_TAG]: RECORDED });
    await expect(clusterCreator("tap-eks-dev", CI, lookup)).resolves.toBe(RECORDED);
  });

  it("is the caller for a cluster without the record (made before tap recorded it)", async () => {
    await expect(
      clusterCreator("tap-eks-dev", CI, async () => ({ Environment: "dev" })),
    ).resolves.toBe(CI);
  });
});
