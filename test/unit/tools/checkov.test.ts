import * as fs from "fs";
import * as path from "path";
import { Finding, judge, parseSuppressions, readCheckov } from "../../../tools/checkov/judge";

const FILE = path.resolve(__dirname, "..", "..", "..", "security", "checkov-suppressions.yaml");
const finding = (id: string, resource: string): Finding => ({
  id,
  resource,
  check: "some check",
  file: `/${resource.toLowerCase()}.yaml`,
});

describe("security/checkov-suppressions.yaml", () => {
  it("parses: every entry has a Checkov Kubernetes id, resources and a reason", () => {
    const suppressions = parseSuppressions(fs.readFileSync(FILE, "utf8"));
    expect(suppressions.length).toBeGreaterThan(0);
    for (const s of suppressions) expect(s.reason.length).toBeGreaterThan(40);
  });

  it("refuses an entry without a reason", () => {
    expect(() =>
      parseSuppressions("suppressions:\n  - id: CKV_K8S_8\n    resources: [Deployment.a.b]\n"),
    ).toThrow(/suppressions\[0\] needs .* a reason/);
  });
});

describe("judge (tools/checkov/run.sh's verdict)", () => {
  const suppressions = [
    { id: "CKV_K8S_43", resources: ["Deployment.a.a", "Deployment.b.b"], reason: "pinned tags" },
  ];

  it("passes when every finding is suppressed and every suppression is used", () => {
    const j = judge(
      [finding("CKV_K8S_43", "Deployment.a.a"), finding("CKV_K8S_43", "Deployment.b.b")],
      300,
      suppressions,
    );
    expect(j).toEqual({ findings: 2, passedChecks: 300, unsuppressed: [], stale: [] });
  });

  it("fails on a finding nobody suppressed (same check, other resource; other check)", () => {
    const j = judge(
      [
        finding("CKV_K8S_43", "Deployment.a.a"),
        finding("CKV_K8S_43", "Deployment.b.b"),
        finding("CKV_K8S_43", "Deployment.c.c"),
        finding("CKV_K8S_8", "Deployment.a.a"),
      ],
      1,
      suppressions,
    );
    expect(j.unsuppressed.map((f) => `${f.id} ${f.resource}`)).toEqual([
      "CKV_K8S_43 Deployment.c.c",
      "CKV_K8S_8 Deployment.a.a",
    ]);
  });

  it("fails on a suppression that no finding matches any more (the file stays honest)", () => {
    const j = judge([finding("CKV_K8S_43", "Deployment.a.a")], 1, suppressions);
    expect(j.stale).toEqual(["CKV_K8S_43 Deployment.b.b"]);
  });

  it("reads Checkov's JSON, one report or a list", () => {
    const report = {
      summary: { passed: 7 },
      results: {
        failed_checks: [
          {
            check_id: "CKV_K8S_8",
            resource: "Deployment.a.a",
            check_name: "Liveness",
            file_path: "/a.yaml",
          },
        ],
      },
    };
    expect(readCheckov(JSON.stringify(report))).toEqual({
      findings: [
        { id: "CKV_K8S_8", resource: "Deployment.a.a", check: "Liveness", file: "/a.yaml" },
      ],
      passed: 7,
    });
    expect(readCheckov(JSON.stringify([report, report])).passed).toBe(14);
  });
});
