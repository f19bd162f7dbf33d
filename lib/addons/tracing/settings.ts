/**
 * Tracing's settings (`tap:addons.tracing`): what share of traces the catalog's services sample.
 * Pure, read by the config contract before anything exists.
 */
import { numberFromConfig, show } from "../../config-parse";

/** The collector's OTLP ports (gRPC, HTTP): the services' egress, left out of App Mesh's Envoy. */
export const TRACING_OTLP_PORTS = { grpc: 4317, http: 4318 } as const;

export interface TracingSettings {
  /**
   * The share of root traces a catalog service samples (OTEL_TRACES_SAMPLER_ARG of the
   * `parentbased_traceidratio` sampler: a call that arrives sampled stays sampled), 0 < x <= 1.
   */
  readonly samplingRatio: number;
}

export const DEFAULT_TRACING_SETTINGS: TracingSettings = { samplingRatio: 0.05 };

export const TRACING_SETTING_DOCS: Readonly<Record<keyof TracingSettings, string>> = {
  samplingRatio:
    "the share of new traces the catalog's services sample, above 0 and at most 1 (default 0.05; a call that arrives sampled stays sampled); X-Ray bills per trace recorded",
};

export function parseTracingSettings(
  value: Readonly<Record<string, unknown>>,
  fail: (key: string, reason: string) => void,
): TracingSettings {
  const raw = value.samplingRatio;
  if (raw === undefined) return DEFAULT_TRACING_SETTINGS;
  // `pulumi config set --path` stores "0.25" as a string: a numeric string counts as its number.
  const n = numberFromConfig(raw);
  if (typeof n === "number" && Number.isFinite(n) && n > 0 && n <= 1) return { samplingRatio: n };
  fail(
    "addons.tracing.samplingRatio",
    `tap:addons.tracing.samplingRatio must be a number above 0 and at most 1 (got ${show(raw)})`,
  );
  return DEFAULT_TRACING_SETTINGS;
}
