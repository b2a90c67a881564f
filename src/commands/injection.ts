// meshup injection enable|disable|list: sidecar injection per namespace, outside of `up`.
import type { App } from '../cli/app.js';
import { MeshupError, UsageError } from '../errors.js';
import { disableInjection, enableInjection, listNamespaces, planInjection } from '../istio/injection.js';
import { INJECTION_MARKER } from '../istio/labels.js';
import { podsWithoutSidecar } from '../istio/sidecars.js';
import { listObjects, rolloutRestart } from '../tools/kubectl.js';
import { table } from '../ui/table.js';
import type { Runner } from '../exec/runner.js';
import { openTarget } from './target.js';

const NS_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

async function target(app: App): Promise<Runner> {
  return (await openTarget(app)).runner;
}

function checkNames(names: string[]): void {
  if (!names.length) throw new UsageError('Name at least one namespace', { fix: 'e.g. meshup injection enable default shop' });
  const bad = names.find((n) => !NS_NAME.test(n));
  if (bad) throw new UsageError(`"${bad}" is not a valid namespace name`, { fix: 'Namespace names are lowercase letters, digits and dashes' });
  const system = names.find((n) => n === 'kube-system' || n === 'istio-system');
  if (system) throw new UsageError(`Sidecars are never injected in ${system}`, { fix: 'Choose an application namespace' });
}

async function restartMissing(app: App, runner: Runner, namespaces: string[]): Promise<string[]> {
  const pods = await listObjects(runner, 'pods', { allNamespaces: true });
  const missing = podsWithoutSidecar(pods, new Set(namespaces));
  const restarted: string[] = [];
  for (const ns of namespaces) {
    const workloads = [...new Set(missing.filter((m) => m.namespace === ns && m.workload).map((m) => m.workload!))];
    await rolloutRestart(runner, ns, workloads);
    restarted.push(...workloads.map((w) => `${ns}/${w}`));
  }
  if (restarted.length) app.out.log(`Restarted ${restarted.join(', ')} so their pods get sidecars`);
  return restarted;
}

export async function enable(app: App, names: string[]): Promise<void> {
  checkNames(names);
  const runner = await target(app);
  const plan = planInjection(await listNamespaces(runner), names);
  await enableInjection(runner, plan.enable);
  const restart = (app.flags as { restart?: boolean }).restart;
  const restarted = restart ? await restartMissing(app, runner, names) : [];
  app.out.result({ enabled: plan.enable, unchanged: plan.unchanged, restarted });
  if (plan.enable.length) app.out.print(`Sidecar injection enabled in ${plan.enable.join(', ')}`);
  if (plan.unchanged.length) app.out.print(`Already enabled in ${plan.unchanged.join(', ')}`);
  app.out.log('note: `meshup up` converges to meshup.yaml; add these to `namespaces` there to keep them');
  if (!restart) app.out.log('Running pods get sidecars only when recreated: add --restart, or see `meshup injection list`');
}

export async function disable(app: App, names: string[]): Promise<void> {
  checkNames(names);
  const runner = await target(app);
  const all = await listNamespaces(runner);
  const mine = names.filter((n) => all.find((x) => x.metadata.name === n)?.metadata.labels?.[INJECTION_MARKER]);
  const byHand = names.filter((n) => !mine.includes(n) && all.find((x) => x.metadata.name === n)?.metadata.labels?.['istio-injection']);
  const missing = names.filter((n) => !all.some((x) => x.metadata.name === n));
  if (missing.length) throw new MeshupError(`No namespace ${missing.join(', ')}`, { fix: 'meshup injection list shows the labelled ones' });
  await disableInjection(runner, mine);
  app.out.result({ disabled: mine, leftByHand: byHand });
  if (mine.length) app.out.print(`Sidecar injection disabled in ${mine.join(', ')} (running pods keep their sidecars until restarted)`);
  for (const n of byHand) app.out.warn(`${n}: its istio-injection label was set by hand, so meshup leaves it; remove it with: kubectl label namespace ${n} istio-injection-`);
}

export async function list(app: App): Promise<void> {
  const runner = await target(app);
  const [namespaces, pods] = await Promise.all([listNamespaces(runner), listObjects(runner, 'pods', { allNamespaces: true })]);
  const labelled = namespaces.filter((n) => n.metadata.labels?.['istio-injection'] === 'enabled' || n.metadata.labels?.['istio.io/rev']);
  const missing = podsWithoutSidecar(pods, new Set(labelled.map((n) => n.metadata.name)));
  const rows = labelled.map((n) => {
    const l = n.metadata.labels ?? {};
    const lacking = missing.filter((m) => m.namespace === n.metadata.name);
    return {
      namespace: n.metadata.name,
      label: l['istio-injection'] === 'enabled' ? 'istio-injection=enabled' : `istio.io/rev=${l['istio.io/rev']}`,
      setBy: l[INJECTION_MARKER] ? 'meshup' : 'user',
      podsWithoutSidecar: lacking.map((m) => m.pod),
    };
  });
  app.out.result(rows);
  if (!rows.length) {
    app.out.print('No namespace has sidecar injection. Enable it with: meshup injection enable NAMESPACE');
    return;
  }
  app.out.print(table(['NAMESPACE', 'LABEL', 'SET BY', 'PODS WITHOUT SIDECAR'], rows.map((r) => [r.namespace, r.label, r.setBy, r.podsWithoutSidecar.length ? r.podsWithoutSidecar.join(', ') : '-'])));
  if (missing.length) app.out.print(`\n${missing.length} running pod(s) predate injection; restart them with: meshup injection enable ${[...new Set(missing.map((m) => m.namespace))].join(' ')} --restart`);
}
