// The version catalog against the real tools' own sources, as the Go module proxy serves them:
// kind's default node image constant and minikube's default, newest and oldest Kubernetes, for the
// releases test/cluster/build builds. (The Gateway API release of Istio 1.31 is checked against
// the Istio module's go.mod in test/e2e/gateway-api-real.test.ts.)
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VERSIONS } from '../helpers/versions.js';

const build = readFileSync(join(import.meta.dirname, '..', 'cluster', 'build'), 'utf8');
const pinned = (name: string) => new RegExp(`^${name}=(\\S+)$`, 'm').exec(build)![1]!;

/** The source directory of a module version, downloaded through the module proxy if need be. */
function moduleDir(path: string, version: string): string {
  const out = execFileSync('go', ['mod', 'download', '-json', `${path}@${version}`], { encoding: 'utf8', cwd: import.meta.dirname });
  return (JSON.parse(out) as { Dir: string }).Dir;
}

describe('the catalog against kind and minikube themselves', () => {
  it("has the kind release the tests build, whose default node image is kind's own constant", () => {
    const version = pinned('KIND_VERSION');
    const entry = VERSIONS.kind.find((k) => k.version === version);
    expect(entry, `kind ${version} is in versions/catalog.yaml`).toBeDefined();
    const source = readFileSync(join(moduleDir('sigs.k8s.io/kind', version), 'pkg', 'apis', 'config', 'defaults', 'image.go'), 'utf8');
    const constant = /const Image = "([^"]+)"/.exec(source)?.[1];
    expect(constant).toBe(entry!.default);
    // kind's default is outside Istio 1.31's range: why meshup pins another image.
    expect(entry!.images).toContain(constant);
  });

  it("has the minikube release the tests build, with minikube's own default, newest and oldest Kubernetes", () => {
    const version = pinned('MINIKUBE_VERSION');
    const entry = VERSIONS.minikube.find((m) => m.version === version);
    expect(entry, `minikube ${version} is in versions/catalog.yaml`).toBeDefined();
    const source = readFileSync(join(moduleDir('k8s.io/minikube', version), 'pkg', 'minikube', 'constants', 'constants.go'), 'utf8');
    const constant = (name: string) => new RegExp(`${name} = "([^"]+)"`).exec(source)?.[1];
    expect({ default: entry!.default, newest: entry!.newest, oldest: entry!.oldest }).toEqual({
      default: constant('DefaultKubernetesVersion'),
      newest: constant('NewestKubernetesVersion'),
      oldest: constant('OldestKubernetesVersion'),
    });
  });
});
