/**
 * The connection settings a service that declares the database gets as environment variables:
 * where it is (writer and reader endpoints, port, database name), the ARN of the RDS-managed
 * secret holding the user name and password (read with the service's own role; the secret's value
 * is never in the pod spec), and TLS required (the cluster refuses anything else: rds.force_ssl).
 */
import * as pulumi from "@pulumi/pulumi";
import { DatabaseResult } from "../addons/database";

export const DATABASE_ENV = {
  host: "DATABASE_HOST",
  readerHost: "DATABASE_READER_HOST",
  port: "DATABASE_PORT",
  name: "DATABASE_NAME",
  secretArn: "DATABASE_SECRET_ARN",
  sslMode: "PGSSLMODE",
} as const;

export function databaseEnv(
  db: Pick<DatabaseResult, "endpoint" | "readerEndpoint" | "port" | "name" | "secretArn">,
): { name: string; value: pulumi.Input<string> }[] {
  const e = DATABASE_ENV;
  return [
    { name: e.host, value: db.endpoint },
    { name: e.readerHost, value: db.readerEndpoint },
    { name: e.port, value: String(db.port) },
    { name: e.name, value: db.name },
    { name: e.secretArn, value: db.secretArn },
    { name: e.sslMode, value: "require" },
  ];
}
