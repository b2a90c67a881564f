// Every provider, by name: the one place a name becomes a capability record.

import type { ProviderName } from '../config/schema.js';
import { which } from '../util/which.js';
import { existingProvider } from './existing.js';
import { kindProvider } from './kind.js';
import { kwokProvider } from './kwok.js';
import { minikubeProvider } from './minikube.js';
import type { Provider } from './types.js';

const PROVIDERS: Record<ProviderName, Provider> = {
  minikube: minikubeProvider,
  kind: kindProvider,
  existing: existingProvider,
  kwok: kwokProvider,
};

export const providerFor = (name: ProviderName): Provider => PROVIDERS[name];

/** Providers that make real clusters and whose tool is installed, in order of preference: what
 * `up` uses (or offers) when no provider is named. */
export function installedProviders(env: NodeJS.ProcessEnv): ProviderName[] {
  return Object.values(PROVIDERS)
    .filter((p) => p.creates && !p.simulated && which(p.tools[0]!, env))
    .map((p) => p.name);
}
