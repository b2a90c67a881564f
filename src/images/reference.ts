// An image reference as a container runtime reads it: registry, repository, tag or digest. Docker
// Hub's official images live under library/. Pure.
import { registryOf } from '../kube/images.js';

export interface ImageRef {
  registry: string;
  repository: string;
  /** A tag, or a digest (sha256:...). */
  reference: string;
}

export function parseImageRef(image: string): ImageRef {
  const registry = registryOf(image);
  let rest = image.startsWith(`${registry}/`) ? image.slice(registry.length + 1) : image.startsWith('index.docker.io/') ? image.slice(16) : image;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  // A tag beside a digest says what it was; the digest is what is pulled.
  let tag = 'latest';
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const reference = digest ?? tag;
  const repository = registry === 'docker.io' && !rest.includes('/') ? `library/${rest}` : rest;
  return { registry, repository, reference };
}
