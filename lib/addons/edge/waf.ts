/**
 * The web ACLs' rules, pure so tests read them: AWS's managed common rule set (OWASP top-10 style:
 * bad user agents, size limits, LFI/RFI, XSS in the body ...) and known-bad-inputs rule set (log4j,
 * Java deserialization, localhost Host headers ...), each in its own vendor's actions, then a
 * per-IP rate limit that blocks. Names from AWS WAF's managed rule groups list
 * (docs.aws.amazon.com/waf/latest/developerguide/aws-managed-rule-groups-list.html).
 */

export const MANAGED_RULE_GROUPS = [
  "AWSManagedRulesCommonRuleSet",
  "AWSManagedRulesKnownBadInputsRuleSet",
] as const;

export const RATE_LIMIT_RULE = "tap-rate-limit";

const visibility = (metricName: string) => ({
  cloudwatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: true,
});

export interface WafRule {
  readonly name: string;
  readonly priority: number;
  readonly overrideAction?: { readonly none: Record<string, never> };
  readonly action?: { readonly block: Record<string, never> };
  readonly statement: {
    readonly managedRuleGroupStatement?: {
      readonly vendorName: "AWS";
      readonly name: string;
      readonly ruleActionOverrides?: RuleActionOverride[];
    };
    readonly rateBasedStatement?: {
      readonly limit: number;
      readonly aggregateKeyType: "IP";
      readonly evaluationWindowSec: number;
    };
  };
  readonly visibilityConfig: ReturnType<typeof visibility>;
}

export interface RuleActionOverride {
  /** A rule of the managed group. */
  readonly name: string;
  readonly actionToUse: { readonly count: Record<string, never> };
}

/**
 * The API's ACL counts instead of blocking the common rule set's SizeRestrictions_BODY (bodies
 * over 8 KB: every JSON POST or upload above it would be refused); the frontend's keeps it.
 */
export const API_RULE_OVERRIDES: readonly RuleActionOverride[] = [
  { name: "SizeRestrictions_BODY", actionToUse: { count: {} } },
];

/** The rules of one web ACL (its metrics prefixed by `metricPrefix`). */
export function wafRules(
  rateLimit: number,
  metricPrefix: string,
  commonOverrides: readonly RuleActionOverride[] = [],
): WafRule[] {
  return [
    ...MANAGED_RULE_GROUPS.map((name, priority) => ({
      name,
      priority,
      overrideAction: { none: {} },
      statement: {
        managedRuleGroupStatement: {
          vendorName: "AWS" as const,
          name,
          ...(name === "AWSManagedRulesCommonRuleSet" && commonOverrides.length > 0
            ? { ruleActionOverrides: [...commonOverrides] }
            : {}),
        },
      },
      visibilityConfig: visibility(`${metricPrefix}-${name}`),
    })),
    {
      name: RATE_LIMIT_RULE,
      priority: MANAGED_RULE_GROUPS.length,
      action: { block: {} },
      statement: {
        rateBasedStatement: { limit: rateLimit, aggregateKeyType: "IP", evaluationWindowSec: 300 },
      },
      visibilityConfig: visibility(`${metricPrefix}-${RATE_LIMIT_RULE}`),
    },
  ];
}

/** The web ACLs' roles (named `<role>-<suffix>`; the API's is what the controller's policy names). */
export const EDGE_ACL_ROLES = { cloudfront: "tap-frontend", regional: "tap-api" } as const;

/** A web ACL's log group: WAF requires the `aws-waf-logs-` prefix. */
export const wafLogGroupName = (acl: string): string => `aws-waf-logs-${acl}`;
