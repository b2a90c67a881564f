// What differs between an object as it is and as meshup's apply would make it (the answer of a
// server-side dry-run apply, as `kubectl diff --server-side` compares them), field by field, and
// who changed each field when the object's managedFields tell. Pure.
import type { KubeObject } from './objects.js';

export interface FieldChange {
  /** A readable path: spec.template.spec.containers[name=grafana].image */
  path: string;
  have: unknown;
  want: unknown;
  /** The field manager that owns the field now (kubectl-edit, kubectl-set, kubectl...), when known. */
  by?: string;
}

/** What a write changes that is not content: the server's bookkeeping. */
const NOISE = ['resourceVersion', 'generation', 'managedFields', 'creationTimestamp', 'uid', 'selfLink'];

function content(o: KubeObject): Record<string, unknown> {
  const { status: _status, metadata, ...rest } = o;
  const md = Object.fromEntries(Object.entries(metadata).filter(([k]) => !NOISE.includes(k)));
  return { metadata: md, ...rest };
}

const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/** A list element's name in a path: its `name` when it has one (containers, ports, env), else its index. */
const elementKey = (v: unknown, i: number) => (isObject(v) && typeof v.name === 'string' ? `[name=${v.name}]` : `[${i}]`);

function walk(have: unknown, want: unknown, path: string, out: FieldChange[]): void {
  if (JSON.stringify(have) === JSON.stringify(want)) return;
  if (isObject(have) && isObject(want)) {
    for (const k of new Set([...Object.keys(want), ...Object.keys(have)])) walk(have[k], want[k], path ? `${path}.${k}` : k, out);
    return;
  }
  if (Array.isArray(have) && Array.isArray(want) && have.length === want.length) {
    for (const [i, w] of want.entries()) walk(have[i], w, `${path}${elementKey(w, i)}`, out);
    return;
  }
  out.push({ path, have, want });
}

export function diffObjects(live: KubeObject, wanted: KubeObject, ignored: (path: string) => boolean = () => false): FieldChange[] {
  const out: FieldChange[] = [];
  walk(content(live), content(wanted), '', out);
  return out.filter((c) => !ignored(c.path)).map((c) => ({ ...c, by: ownerOf(live, c.path, c.have === undefined) }));
}

interface ManagedField {
  manager?: string;
  operation?: string;
  subresource?: string;
  time?: string;
  fieldsV1?: Record<string, unknown>;
}

/** The manager whose fields hold the path: its segments as fieldsV1 keys (f:name, and a list
 * element by its name, k:{"name":...}), the latest writer when two share it; undefined when none
 * owns it (a scale records no owner: the applier just loses the field). A field the object no
 * longer has is owned by no one, so the writer of what replaced it answers: the latest writer
 * (Update) of its parent's remaining fields (istioctl rewriting a webhook's namespaceSelector). */
function ownerOf(o: KubeObject, path: string, removed: boolean): string | undefined {
  const fields = ((o.metadata as { managedFields?: ManagedField[] }).managedFields ?? []) as ManagedField[];
  const segments = path.split(/\.(?![^[]*\])/).flatMap((s) => {
    const m = /^([^[]*)((?:\[[^\]]+\])*)$/.exec(s);
    const name = m?.[1] ?? s;
    const items = [...(m?.[2] ?? '').matchAll(/\[([^\]]+)\]/g)].map((x) => x[1]!);
    return [`f:${name}`, ...items.map((i) => (i.startsWith('name=') ? `k:{"name":"${i.slice(5)}"}` : `i:${i}`))];
  });
  const exact = latestOwner(fields, segments);
  if (exact || !removed || segments.length < 2) return exact;
  // An applier's own fields around the gap say nothing of who made it: only a writer's (Update) do.
  return latestOwner(
    fields.filter((f) => f.operation !== 'Apply'),
    segments.slice(0, -1),
  );
}

function latestOwner(fields: ManagedField[], segments: string[]): string | undefined {
  let best: { manager?: string; depth: number; time: string } = { depth: 0, time: '' };
  for (const f of fields) {
    let node: unknown = f.fieldsV1;
    let depth = 0;
    for (const seg of segments) {
      if (!isObject(node)) break;
      const next = node[seg] ?? Object.entries(node).find(([k]) => seg.startsWith('k:') && k.startsWith(seg.slice(0, -1)))?.[1];
      if (next === undefined) break;
      node = next;
      depth++;
      // A leaf above the path is an atomic field (a label selector): its manager owns all of it.
      if (isObject(next) && Object.keys(next).length === 0) {
        depth = segments.length;
        break;
      }
    }
    const time = f.time ?? '';
    // Only a manager that owns the field itself changed it: one that owns its parent (spec) does not.
    if (depth < segments.length) continue;
    if (depth > best.depth || (depth === best.depth && time > best.time)) {
      best = { manager: f.subresource ? `${f.manager} (${f.subresource})` : f.manager, depth, time };
    }
  }
  return best.manager;
}

/** "spec.replicas 0 → 1 (changed by kubectl (scale))": how a plan names one changed field. */
export function describeChange(c: FieldChange): string {
  const shown = (v: unknown) => (v === undefined ? 'unset' : excerpt(JSON.stringify(v)));
  return `${c.path} ${shown(c.have)} → ${shown(c.want)}${c.by ? ` (changed by ${c.by})` : ''}`;
}

const excerpt = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);
