// Image references as a container runtime reads them: the registry, Docker Hub's library/, and a
// tag or digest.
import { describe, expect, it } from 'vitest';
import { parseImageRef } from '../../src/images/reference.js';

describe('image references', () => {
  it.each([
    ['nginx', { registry: 'docker.io', repository: 'library/nginx', reference: 'latest' }],
    ['nginx:1.29', { registry: 'docker.io', repository: 'library/nginx', reference: '1.29' }],
    ['docker.io/istio/pilot:1.31.1', { registry: 'docker.io', repository: 'istio/pilot', reference: '1.31.1' }],
    ['index.docker.io/istio/pilot:1.31.1', { registry: 'docker.io', repository: 'istio/pilot', reference: '1.31.1' }],
    ['quay.io/kiali/kiali:v2.27', { registry: 'quay.io', repository: 'kiali/kiali', reference: 'v2.27' }],
    ['localhost:5001/app', { registry: 'localhost:5001', repository: 'app', reference: 'latest' }],
    [
      'kindest/node:v1.36.4@sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed',
      { registry: 'docker.io', repository: 'kindest/node', reference: 'sha256:099e049362a1526b2db71494e1947aae99bd16290d7c895f2b7ea312e3cbfaed' },
    ],
    ['registry.local:5000/team/app:1.0', { registry: 'registry.local:5000', repository: 'team/app', reference: '1.0' }],
  ])('%s', (image, ref) => {
    expect(parseImageRef(image)).toEqual(ref);
  });
});
