// The mesh's name, shared by the controller (which is told it) and the services' mesh objects and
// IAM (lib/services/mesh*.ts): the services import the add-on's names, never the other way round.

/** What the name helpers need from a context (TapContext/AddonContext both fit). */
export interface Namer {
  name(role: string): string;
}

/** The App Mesh mesh (and its Mesh CR): `tap-mesh-<suffix>`. */
export function meshName(ctx: Namer): string {
  return ctx.name("tap-mesh");
}
