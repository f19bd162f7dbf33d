/**
 * Kyverno's settings (`tap:addons.kyverno`): the cosign public key images must be signed with, and
 * which registries' images it checks. Pure, read by the config contract before anything exists.
 */
import { show } from "../../config-parse";

export interface KyvernoSettings {
  /** A cosign public key (PEM); with it, images from `imageRegistries` must carry its signature. */
  readonly cosignPublicKey?: string;
  /** Image reference globs whose images are verified; default this account's ECR in the region. */
  readonly imageRegistries?: readonly string[];
}

export const DEFAULT_KYVERNO_SETTINGS: KyvernoSettings = {};

export const KYVERNO_SETTING_DOCS: Readonly<Record<keyof KyvernoSettings, string>> = {
  cosignPublicKey:
    "a cosign public key (PEM, set it as a secret: pulumi config set --secret --path tap:addons.kyverno.cosignPublicKey ...); images from imageRegistries must then be signed with it (default none: no verification)",
  imageRegistries:
    "image reference globs whose images are verified, e.g. [\"123456789012.dkr.ecr.us-east-1.amazonaws.com/*\"] (default this account's ECR in the stack's region)",
};

const PEM_RE = /^-----BEGIN PUBLIC KEY-----\r?\n[A-Za-z0-9+/=\r\n]+-----END PUBLIC KEY-----\s*$/;
/** A glob over image references: a registry host, then a path; no spaces or quotes. */
const GLOB_RE = /^[A-Za-z0-9*?.-]+(:[0-9]+)?(\/[A-Za-z0-9*?._/-]*)?$/;

export function parseKyvernoSettings(
  value: Readonly<Record<string, unknown>>,
  fail: (key: string, reason: string) => void,
): KyvernoSettings {
  const key = (k: string) => `addons.kyverno.${k}`;
  let cosignPublicKey: string | undefined;
  const pem = value.cosignPublicKey;
  if (pem !== undefined) {
    if (typeof pem === "string" && PEM_RE.test(pem.trim() + "\n"))
      cosignPublicKey = pem.trim() + "\n";
    else
      fail(
        key("cosignPublicKey"),
        `tap:addons.kyverno.cosignPublicKey must be a PEM public key (-----BEGIN PUBLIC KEY----- ... -----END PUBLIC KEY-----, as cosign generate-key-pair writes cosign.pub) (got ${typeof pem === "string" ? `${pem.length} characters that are not one` : show(pem)})`,
      );
  }
  let imageRegistries: string[] | undefined;
  const regs = value.imageRegistries;
  if (regs !== undefined) {
    const list = typeof regs === "string" ? safeJson(regs) : regs;
    if (
      Array.isArray(list) &&
      list.length > 0 &&
      list.every((g) => typeof g === "string" && GLOB_RE.test(g))
    )
      imageRegistries = list as string[];
    else
      fail(
        key("imageRegistries"),
        `tap:addons.kyverno.imageRegistries must be a non-empty list of image reference globs like "123456789012.dkr.ecr.us-east-1.amazonaws.com/*" (got ${show(regs)})`,
      );
  }
  if (imageRegistries && !cosignPublicKey && pem === undefined)
    fail(
      key("imageRegistries"),
      "tap:addons.kyverno.imageRegistries says whose images are verified, which needs tap:addons.kyverno.cosignPublicKey (the key they are signed with)",
    );
  return {
    ...(cosignPublicKey ? { cosignPublicKey } : {}),
    ...(imageRegistries ? { imageRegistries } : {}),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
