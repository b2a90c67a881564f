// checkManifest, meshup inject's check of its input before anything else happens: objects are
// counted, empty documents skipped, and YAML that is no Kubernetes manifest at all (a Helm values
// file or Chart.yaml, a kustomization, an OpenAPI document) is named as such rather than as a
// manifest with a missing key.

import { describe, expect, it } from 'vitest';
import { checkManifest } from '../../src/commands/inject.js';
import { ConfigError } from '../../src/errors.js';

const pod = 'apiVersion: v1\nkind: Pod\nmetadata: { name: p }\nspec: { containers: [{ name: c, image: c:1 }] }\n';

function refusal(source: string, file = '/w/x.yaml'): ConfigError {
  try {
    checkManifest(source, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return e as ConfigError;
  }
  throw new Error('checkManifest accepted it');
}

describe('checkManifest', () => {
  it('counts the objects and skips empty documents', () => {
    expect(checkManifest(`# header\n---\n${pod}---\n---\n# only a comment\n---\n${pod}---\n`, '/w/app.yaml')).toBe(2);
  });

  it.each([
    [
      'a Helm values file',
      'global:\n  hub: docker.io/istio\nreplicaCount: 1\n',
      '/w/x.yaml:1:1: not a Kubernetes object: no kind and no metadata (its keys: global, replicaCount)',
    ],
    [
      'a Helm Chart.yaml',
      'apiVersion: v2\nname: web\nversion: 0.1.0\n',
      '/w/x.yaml:1:1: not a Kubernetes object: no kind and no metadata (its keys: apiVersion, name, version)',
    ],
    [
      'a kustomization',
      'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [a.yaml]\n',
      "/w/x.yaml:1:1: a kustomization (Kustomization) is kubectl kustomize's input, not a Kubernetes object",
    ],
    [
      'an OpenAPI document',
      'swagger: "2.0"\ninfo: { title: t }\n',
      '/w/x.yaml:1:1: not a Kubernetes object: no kind and no metadata (its keys: swagger, info)',
    ],
    ['a list', '- a\n- b\n', '/w/x.yaml:1:1: expected a Kubernetes object (a map with apiVersion and kind), found a list of 2'],
    ['several documents of settings', 'a: 1\n---\nb: 2\n', '/w/x.yaml:3:1: not a Kubernetes object: no kind and no metadata (its keys: b)'],
  ])('names %s as not a Kubernetes manifest, with why, and what to do instead', (_what, source, detail) => {
    const e = refusal(source);
    expect(e.message).toBe('/w/x.yaml is not a Kubernetes manifest');
    expect(e.details).toContain(detail);
    expect(e.exitCode).toBe(2);
    expect(e.fix.join('\n')).toMatch(/helm template.*kubectl kustomize/);
  });

  it('names many keys with an ellipsis', () => {
    const e = refusal('a: 1\nb: 2\nc: 3\nd: 4\ne: 5\nf: 6\ng: 7\n');
    expect(e.details).toEqual(['/w/x.yaml:1:1: not a Kubernetes object: no kind and no metadata (its keys: a, b, c, d, e, f, ...)']);
  });

  it('a broken object is an invalid manifest, not another kind of file', () => {
    const e = refusal('apiVersion: v1\nmetadata: { name: x }\n');
    expect(e.message).toBe('Invalid manifest /w/x.yaml');
    expect(e.details).toEqual(['/w/x.yaml:1:1: kind: is required']);
    expect(e.fix.join('\n')).toContain('Fix the manifest');
  });

  it('objects mixed with other YAML, or a syntax error beside other YAML, make an invalid manifest', () => {
    expect(refusal(`${pod}---\nreplicaCount: 2\n`).message).toBe('Invalid manifest /w/x.yaml');
    const e = refusal('a: 1\n---\nb: [\n');
    expect(e.message).toBe('Invalid manifest /w/x.yaml');
    expect(e.details).toHaveLength(2);
  });

  it('a Helm template is no YAML yet: the fix says to render it first', () => {
    const e = refusal('{{- if .Values.enabled }}\napiVersion: v1\nkind: Service\nmetadata: { name: {{ .Values.name }} }\n{{- end }}\n');
    expect(e.message).toBe('/w/x.yaml is a Helm chart template, not a Kubernetes manifest');
    expect(e.details).toEqual(['/w/x.yaml:1:1: {{- if .Values.enabled }} is a Helm template action']);
    expect(e.fix[0]).toBe('This is a Helm template: render the chart with helm template and inject what it prints (-f -)');
  });
});
