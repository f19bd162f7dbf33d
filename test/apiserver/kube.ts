/**
 * A minimal Kubernetes API client over node:https for test/apiserver: kubeconfig loading
 * (client certificate, token or CA from files or inline data), discovery, server-side apply,
 * dry-run create, delete and get. No dependency beyond `yaml` (already a devDependency).
 */
import * as fs from "fs";
import * as https from "https";
import * as os from "os";
import * as path from "path";
import { parse as parseYaml } from "yaml";

/** Where tools/k8s/apiserver.sh writes its kubeconfig (mirrors tools/k8s/lib.sh). */
export function defaultKubeconfigPath(env = process.env): string {
  const cache =
    env.TAP_K8S_CACHE ??
    path.join(env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "tap-k8s");
  return path.join(env.TAP_K8S_RUN ?? path.join(cache, "run"), "kubeconfig");
}

export interface Connection {
  readonly server: string;
  readonly agent: https.Agent;
  readonly headers: Record<string, string>;
}

type Obj = Record<string, unknown>;
const isObject = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function named(list: unknown, name: unknown, key: string): Obj {
  const found = Array.isArray(list)
    ? list.find((e): e is Obj => isObject(e) && e.name === name)
    : undefined;
  if (!found || !isObject(found[key]))
    throw new Error(`kubeconfig: no ${key} named ${String(name)}`);
  return found[key] as Obj;
}

/** Reads a kubeconfig's current context (file paths are relative to the kubeconfig). */
export function loadKubeconfig(file: string): Connection {
  const doc = parseYaml(fs.readFileSync(file, "utf8")) as Obj;
  const context = named(doc.contexts, doc["current-context"], "context");
  const cluster = named(doc.clusters, context.cluster, "cluster");
  const user = named(doc.users, context.user, "user");
  const dir = path.dirname(file);
  const read = (o: Obj, fileKey: string, dataKey: string): Buffer | undefined => {
    if (typeof o[dataKey] === "string") return Buffer.from(o[dataKey] as string, "base64");
    if (typeof o[fileKey] === "string")
      return fs.readFileSync(path.resolve(dir, o[fileKey] as string));
    return undefined;
  };
  const headers: Record<string, string> = {};
  const token =
    typeof user.token === "string"
      ? user.token
      : typeof user.tokenFile === "string"
        ? fs.readFileSync(path.resolve(dir, user.tokenFile), "utf8").trim()
        : undefined;
  if (token) headers.authorization = `Bearer ${token}`;
  const agent = new https.Agent({
    keepAlive: true,
    maxSockets: 8,
    ca: read(cluster, "certificate-authority", "certificate-authority-data"),
    cert: read(user, "client-certificate", "client-certificate-data"),
    key: read(user, "client-key", "client-key-data"),
    rejectUnauthorized: cluster["insecure-skip-tls-verify"] !== true,
  });
  if (typeof cluster.server !== "string") throw new Error(`kubeconfig ${file}: no cluster server`);
  return { server: cluster.server.replace(/\/$/, ""), agent, headers };
}

export interface Response {
  readonly status: number;
  readonly body: Obj;
  /** `Warning` headers (299 "..."), e.g. PodSecurity `would violate` and deprecations. */
  readonly warnings: readonly string[];
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: Obj,
    what: string,
  ) {
    super(
      `${what}: HTTP ${status} ${String(body.reason ?? "")}: ${String(body.message ?? JSON.stringify(body))}`,
    );
  }
}

export interface Resource {
  readonly plural: string;
  readonly namespaced: boolean;
}

/** The identity of an object: what a test names when it fails. */
export const describeObject = (o: Obj): string => {
  const md = (o.metadata ?? {}) as Obj;
  return `${String(o.apiVersion)} ${String(o.kind)} ${md.namespace ? `${String(md.namespace)}/` : ""}${String(md.name)}`;
};

export class Kube {
  private readonly discovery = new Map<string, Map<string, Resource>>();

  constructor(private readonly conn: Connection) {}

  close(): void {
    this.conn.agent.destroy();
  }

  request(
    method: string,
    urlPath: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<Response> {
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const url = new URL(this.conn.server + urlPath);
    return new Promise((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.conn.agent,
          headers: {
            ...this.conn.headers,
            accept: "application/json",
            ...(payload ? { "content-type": contentType, "content-length": payload.length } : {}),
          },
          timeout: 30000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on("data", (c: Buffer) => chunks.push(c));
          res.on("end", () => {
            const text = Buffer.concat(chunks).toString("utf8");
            let parsed: Obj;
            try {
              parsed = text ? (JSON.parse(text) as Obj) : {};
            } catch {
              parsed = { message: text };
            }
            const raw = res.headers.warning;
            const warnings = (Array.isArray(raw) ? raw : raw ? [raw] : [])
              .flatMap((w) => w.split(/,\s*(?=299 )/))
              .map((w) =>
                w
                  .replace(/^299 - "?/, "")
                  .replace(/"$/, "")
                  .replace(/\\(.)/g, "$1"),
              );
            resolve({ status: res.statusCode ?? 0, body: parsed, warnings });
          });
        },
      );
      req.on("timeout", () => req.destroy(new Error(`${method} ${urlPath}: timed out`)));
      req.on("error", reject);
      if (payload) req.write(payload);
      req.end();
    });
  }

  async ok(
    method: string,
    urlPath: string,
    body?: unknown,
    contentType?: string,
  ): Promise<Response> {
    const res = await this.request(method, urlPath, body, contentType);
    if (res.status < 200 || res.status >= 300)
      throw new ApiError(res.status, res.body, `${method} ${urlPath}`);
    return res;
  }

  /** The server's `major.minor`, e.g. "1.35". */
  async serverMinor(): Promise<string> {
    const v = (await this.ok("GET", "/version")).body;
    return `${String(v.major)}.${String(v.minor).replace(/\D.*$/, "")}`;
  }

  forget(): void {
    this.discovery.clear();
  }

  /** The resource (plural, scope) serving `kind` at `apiVersion`; undefined when not served. */
  async resource(apiVersion: string, kind: string): Promise<Resource | undefined> {
    let kinds = this.discovery.get(apiVersion);
    if (!kinds) {
      const res = await this.request(
        "GET",
        apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`,
      );
      if (res.status === 404 || res.status === 503) return undefined;
      if (res.status !== 200)
        throw new ApiError(res.status, res.body, `discovery of ${apiVersion}`);
      kinds = new Map();
      for (const r of (res.body.resources ?? []) as Obj[]) {
        if (typeof r.name === "string" && !r.name.includes("/"))
          kinds.set(String(r.kind), { plural: r.name, namespaced: r.namespaced === true });
      }
      this.discovery.set(apiVersion, kinds);
    }
    return kinds.get(kind);
  }

  /** The REST path of an object (collection path when `withName` is false). */
  async pathOf(o: Obj, withName = true): Promise<string> {
    const apiVersion = String(o.apiVersion);
    const kind = String(o.kind);
    const r = await this.resource(apiVersion, kind);
    if (!r)
      throw new Error(
        `${describeObject(o)}: ${apiVersion} ${kind} is not served by this API server`,
      );
    const md = (o.metadata ?? {}) as Obj;
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    if (r.namespaced && typeof md.namespace !== "string")
      throw new Error(`${describeObject(o)}: namespaced ${kind} without metadata.namespace`);
    const ns = r.namespaced ? `/namespaces/${encodeURIComponent(String(md.namespace))}` : "";
    const name = withName ? `/${encodeURIComponent(String(md.name))}` : "";
    return `${base}${ns}/${r.plural}${name}`;
  }

  /** Server-side apply (real, not dry-run) with strict field validation. */
  async apply(o: Obj, fieldManager: string): Promise<Response> {
    const q = `?fieldManager=${encodeURIComponent(fieldManager)}&fieldValidation=Strict&force=true`;
    const p = await this.pathOf(o);
    const res = await this.request("PATCH", p + q, o, "application/apply-patch+yaml");
    if (res.status !== 200 && res.status !== 201)
      throw new ApiError(res.status, res.body, `apply ${describeObject(o)}`);
    return res;
  }

  /** Create with dryRun=All: every admission plugin runs (PodSecurity enforces), nothing is stored. */
  async dryRunCreate(o: Obj, fieldManager: string): Promise<Response> {
    const q = `?fieldManager=${encodeURIComponent(fieldManager)}&fieldValidation=Strict&dryRun=All`;
    const res = await this.request("POST", (await this.pathOf(o, false)) + q, o);
    if (res.status !== 200 && res.status !== 201)
      throw new ApiError(res.status, res.body, `dry-run create ${describeObject(o)}`);
    return res;
  }

  /** The stored object, or undefined (404). */
  async get(o: Obj): Promise<Obj | undefined> {
    const res = await this.request("GET", await this.pathOf(o));
    if (res.status === 404) return undefined;
    if (res.status !== 200) throw new ApiError(res.status, res.body, `get ${describeObject(o)}`);
    return res.body;
  }

  /** Deletes (background propagation); a 404 is fine. */
  async delete(o: Obj): Promise<void> {
    const res = await this.request("DELETE", await this.pathOf(o), {
      kind: "DeleteOptions",
      apiVersion: "v1",
      propagationPolicy: "Background",
    });
    if (res.status !== 200 && res.status !== 202 && res.status !== 404)
      throw new ApiError(res.status, res.body, `delete ${describeObject(o)}`);
  }
}

/** Polls `check` until it returns true or `ms` pass; returns whether it did. */
export async function waitUntil(
  check: () => Promise<boolean>,
  ms: number,
  every = 200,
): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, every));
  }
}
