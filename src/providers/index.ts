import type { ProviderName } from '../config/schema.js';
import { existingProvider } from './existing.js';
import { kindProvider } from './kind.js';
import { kwokProvider } from './kwok.js';
import { minikubeProvider } from './minikube.js';
import type { Provider } from './types.js';

export const PROVIDERS: Record<ProviderName, Provider> = {
  minikube: minikubeProvider,
  kind: kindProvider,
  existing: existingProvider,
  kwok: kwokProvider,
};

export const providerFor = (name: ProviderName): Provider => PROVIDERS[name];
