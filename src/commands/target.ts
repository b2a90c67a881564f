// Which cluster a command acts on, and under which context; shared by up, down, status, doctor.
// The context safety check lives here, so no command can reach a refused context.
import type { App } from '../cli/app.js';
import { MeshupError, UsageError } from '../errors.js';
import { resolveOptions, type Options } from '../config/resolve.js';
import type { ProviderName } from '../config/schema.js';
import { assertContextAllowed } from '../context/safety.js';
import type { Runner } from '../exec/runner.js';
import { providerFor } from '../providers/index.js';
import type { Provider } from '../providers/types.js';
import { kubeconfigView } from '../tools/kubectl.js';
import { closest } from '../util/suggest.js';
import { which } from '../util/which.js';

export const CREATING_PROVIDERS: ProviderName[] = ['minikube', 'kind'];

export function installedProviders(env: NodeJS.ProcessEnv): ProviderName[] {
  return CREATING_PROVIDERS.filter((p) => which(p, env));
}

/** With nothing said: an explicit context means that cluster; else the first installed tool. */
export function defaultProvider(o: Options, env: NodeJS.ProcessEnv): ProviderName {
  if (o.context) return 'existing';
  return installedProviders(env)[0] ?? 'minikube';
}

export async function loadOptions(app: App): Promise<Options> {
  return resolveOptions({ flags: app.flags, env: app.io.env, cwd: app.io.cwd });
}

export interface Target {
  options: Options;
  provider: Provider;
  context: string;
}

/** The start of every command that acts on a cluster meshup may already have made: options,
 * provider, the runner, and a checked, pinned context. */
export async function openTarget(app: App): Promise<Target & { runner: Runner }> {
  const options = await loadOptions(app);
  options.provider ??= defaultProvider(options, app.io.env);
  const runner = app.runner();
  return { ...(await resolveTarget(runner, options)), runner };
}

/** Fixes the provider and context, checks the context is one meshup may use, pins it. */
export async function resolveTarget(runner: Runner, o: Options): Promise<Target> {
  const provider = providerFor(o.provider!);
  let context: string;
  if (provider.name === 'existing') {
    const view = await kubeconfigView(runner);
    const name = o.context ?? view.current;
    if (!name) {
      throw new UsageError('No kube context to use: none given and no current-context is set', {
        fix: 'Name one with --context NAME (kubectl config get-contexts lists them)',
      });
    }
    const info = view.contexts.find((c) => c.name === name);
    if (!info) {
      const near = closest(name, view.contexts.map((c) => c.name));
      throw new UsageError(`Kube context "${name}" does not exist`, {
        details: [`contexts: ${view.contexts.map((c) => c.name).join(', ') || 'none'}`],
        fix: near ? `Did you mean --context ${near}?` : 'List contexts with: kubectl config get-contexts',
      });
    }
    assertContextAllowed(info, o.allowContexts);
    o.context = name;
    context = name;
  } else {
    context = provider.context(o);
    if (o.context && o.context !== context && o.sources.context === 'flag') {
      throw new UsageError(`--context ${o.context} does not belong to the ${provider.name} cluster "${o.clusterName}" (its context is ${context})`, {
        fix: `Drop --context, or use --provider existing --context ${o.context}`,
      });
    }
  }
  if (!context) throw new MeshupError('internal: no context resolved');
  runner.pinContext(context);
  return { options: o, provider, context };
}
