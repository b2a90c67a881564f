// Whether an object is meshup's, by evidence rather than by name: it carries meshup's mark (a
// label) and that label was set by meshup's own server-side apply, as the object's managedFields
// record it (the manager that owns the label's field). A user's object under a name meshup would
// choose has neither; one whose mark a person added by hand (kubectl label) is owned by
// kubectl-label, not meshup. Pure: the reads must ask for managedFields (kubectl strips them
// unless --show-managed-fields).
import type { KubeObject } from './objects.js';

/** The field managers of meshup's applies: its own, and istioctl's name for what it applies as istioctl would. */
const MESHUP_MANAGERS: readonly string[] = ['meshup', 'istio-operator'];

export interface Mark {
  /** The label meshup sets on what it makes. */
  label: string;
  /** Its value, when it names something (the exposed Service, the addon); any value otherwise. */
  value?: string;
}

export type Claim = 'absent' | 'ours' | 'foreign';

interface ManagedField {
  manager?: string;
  operation?: string;
  fieldsV1?: { 'f:metadata'?: { 'f:labels'?: Record<string, unknown> } };
}

/** The manager that set a label, by the object's managedFields; undefined when none records it. */
function labelSetBy(o: KubeObject, label: string): string | undefined {
  const fields = ((o.metadata as { managedFields?: ManagedField[] }).managedFields ?? []) as ManagedField[];
  return fields.find((f) => f.fieldsV1?.['f:metadata']?.['f:labels']?.[`f:${label}`] !== undefined)?.manager;
}

export function claimOf(o: KubeObject | undefined, mark: Mark): Claim {
  if (!o) return 'absent';
  const value = o.metadata.labels?.[mark.label];
  // An object meshup's apply made whose mark a person removed is still meshup's (its own apply
  // still owns the rest): the mark's absence is drift, which a repair puts back.
  if (value === undefined) return appliedByMeshup(o) ? 'ours' : 'foreign';
  if (mark.value !== undefined && value !== mark.value) return 'foreign';
  const by = labelSetBy(o, mark.label);
  return by !== undefined && MESHUP_MANAGERS.includes(by) ? 'ours' : 'foreign';
}

/** meshup's own server-side apply made (and still owns fields of) this object. */
function appliedByMeshup(o: KubeObject): boolean {
  const fields = ((o.metadata as { managedFields?: ManagedField[] }).managedFields ?? []) as ManagedField[];
  return fields.some((f) => MESHUP_MANAGERS.includes(f.manager ?? '') && f.operation === 'Apply');
}

/** How a conflict is named to a person: "httproute shop/meshup-web". */
export const objectLabel = (o: { kind?: string; metadata: { name: string; namespace?: string } }) =>
  `${(o.kind ?? 'object').toLowerCase()} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
