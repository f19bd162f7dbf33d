/**
 * Pulumi.yaml's `config:` block is the config contract as Pulumi reads it: every key declared
 * (but the computed environmentSuffix) with a type, a default and a description, the file equal
 * to what `npm run gen:pulumi-yaml` writes, and its defaults -- passed as Pulumi passes them, as
 * text -- a stack that deploys today.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import { CONFIG_KEYS, DEFAULTS, resolveConfig } from "../../lib/config";
import { PROJECT_DEFAULTS, UNDECLARED_KEYS, projectConfigBlock } from "../../lib/config-schema";
import { calendarClusterVersions, judge } from "../../lib/preflight";
import { renderPulumiYaml } from "../../tools/pulumi-yaml";
import { loadStackConfig, pulumiText } from "../../tools/stack-config";

const ROOT = path.resolve(__dirname, "..", "..");
const text = fs.readFileSync(path.join(ROOT, "Pulumi.yaml"), "utf8");
const project = parse(text) as { config: Record<string, Record<string, unknown>> };

describe("Pulumi.yaml's config block", () => {
  it("is what npm run gen:pulumi-yaml writes from lib/config-schema.ts", () => {
    expect(parse(renderPulumiYaml(text))).toEqual(project);
  });

  it("declares every tap: key but the computed ones, each with a default and a description", () => {
    const declared = Object.keys(project.config).filter((k) => k.startsWith("tap:"));
    expect(declared).toEqual(
      CONFIG_KEYS.filter((k) => !(k in UNDECLARED_KEYS)).map((k) => `tap:${k}`),
    );
    for (const key of declared) {
      const decl = project.config[key];
      expect(decl.default).toBeDefined();
      expect(String(decl.description).length).toBeGreaterThan(10);
    }
    expect(UNDECLARED_KEYS).toEqual({
      environmentSuffix: expect.any(String),
      addons: expect.stringMatching(/map/),
      tenants: expect.stringMatching(/list of objects/),
      nodeClasses: expect.stringMatching(/map/),
      dr: expect.stringMatching(/map/),
    });
  });

  it("types every key Pulumi has a type for, as the contract parses it", () => {
    const types = Object.fromEntries(
      Object.entries(projectConfigBlock()).map(([k, d]) => [k, d.type ?? "(none)"]),
    );
    expect(types).toMatchObject({
      "tap:kubernetesVersion": "string",
      "tap:supportType": "string",
      "tap:availabilityZoneCount": "integer",
      "tap:spotPercentage": "integer",
      "tap:enableAppMesh": "boolean",
      "tap:nodeInstanceTypes": "array",
      "tap:services": "(none)", // a list of objects: Pulumi has no type for it
    });
  });

  it("its defaults, as the text Pulumi passes, resolve to the contract's defaults but for the deployable two", () => {
    const asPulumiPasses = Object.fromEntries(
      Object.entries(projectConfigBlock()).map(([k, d]) => [k.slice(4), pulumiText(d.default)]),
    );
    const { config } = resolveConfig(asPulumiPasses, { stackName: "pr9" });
    const program = resolveConfig({}, { stackName: "pr9" }).config;
    expect({
      ...config,
      kubernetesVersion: program.kubernetesVersion,
      enableAppMesh: true,
      addons: { ...config.addons, appMesh: true },
    }).toEqual(program);
    expect(config.kubernetesVersion).toBe(PROJECT_DEFAULTS.kubernetesVersion);
    expect(config.enableAppMesh).toBe(false);
    expect(DEFAULTS.kubernetesVersion).toBe("1.28"); // the specification's, kept in the program
  });

  it("a stack with no stack file gets them and passes the preflight today", () => {
    const loaded = loadStackConfig({ stack: "pr9", overrides: [], noStackFile: true }, ROOT);
    const { config } = resolveConfig(loaded.config, { stackName: "pr9" });
    const today = new Date().toISOString().slice(0, 10);
    const versions = calendarClusterVersions(today);
    expect(judge(config, versions, today).status).toBe("STANDARD_SUPPORT");
    expect(loaded.region).toBe("us-east-1");
  });
});
