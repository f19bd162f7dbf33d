/**
 * What a catalog service gets with tracing on (tap:addons.tracing): the OpenTelemetry SDK's standard
 * environment variables (opentelemetry-specification: sdk-environment-variables.md,
 * protocol/exporter.md), read by every OpenTelemetry SDK and agent, so an instrumented service
 * exports its spans to tap's collector with no code or config of its own:
 * - OTLP over HTTP/protobuf to the collector's OTLP/HTTP port (the SDK appends /v1/traces);
 * - its name and namespace, and the environment, as resource attributes (X-Ray's service map
 *   names nodes by service.name);
 * - `parentbased_traceidratio` at samplingRatio: a call that arrives sampled stays sampled, so a
 *   trace is whole or absent;
 * - metrics and logs exporters off: the collector has a traces pipeline only (an SDK exporting
 *   metrics there would log an error every interval).
 */
import { TracingResult } from "../addons/tracing";
import { ServiceSpec, serviceNamespace } from "./types";

export const TRACING_ENV = {
  endpoint: "OTEL_EXPORTER_OTLP_ENDPOINT",
  protocol: "OTEL_EXPORTER_OTLP_PROTOCOL",
  serviceName: "OTEL_SERVICE_NAME",
  resourceAttributes: "OTEL_RESOURCE_ATTRIBUTES",
  sampler: "OTEL_TRACES_SAMPLER",
  samplerArg: "OTEL_TRACES_SAMPLER_ARG",
  metricsExporter: "OTEL_METRICS_EXPORTER",
  logsExporter: "OTEL_LOGS_EXPORTER",
} as const;

export function tracingEnv(
  service: ServiceSpec,
  tracing: Pick<TracingResult, "endpoint" | "samplingRatio">,
  environmentSuffix: string,
): { name: string; value: string }[] {
  const e = TRACING_ENV;
  return [
    { name: e.endpoint, value: tracing.endpoint },
    { name: e.protocol, value: "http/protobuf" },
    { name: e.serviceName, value: service.name },
    {
      name: e.resourceAttributes,
      value: `service.namespace=${serviceNamespace(service)},deployment.environment.name=${environmentSuffix}`,
    },
    { name: e.sampler, value: "parentbased_traceidratio" },
    { name: e.samplerArg, value: String(tracing.samplingRatio) },
    { name: e.metricsExporter, value: "none" },
    { name: e.logsExporter, value: "none" },
  ];
}
