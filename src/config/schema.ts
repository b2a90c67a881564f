// The shapes of profiles, addons and meshup.yaml: one source for the TypeScript types, the
// validation with file:line:col errors (config/load.ts) and the published JSON Schema
// (schema/*.json, written by `meshup schema`).
import { z } from 'zod';
import { QUANTITY_PATTERN } from './quantity.js';

const name = z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'must be a lowercase DNS label (a-z, 0-9, -)');
const size = z
  .union([z.number().int().positive(), z.string().regex(new RegExp(QUANTITY_PATTERN), 'must be a size such as 8g, 8192m or 8Gi')])
  .describe('A size: a number of MiB, or a string such as "8g", "8192m", "8Gi"');
const port = z.number().int().min(1).max(65535);
const nodePort = z.number().int().min(30000).max(32767).describe('A NodePort in the default range 30000-32767');

export const PROVIDERS = ['minikube', 'kind', 'existing', 'kwok'] as const;
/** One mesh of more clusters than this is not a laptop's. */
export const MAX_CLUSTERS = 4;
const providerName = z.enum(PROVIDERS);
export type ProviderName = z.infer<typeof providerName>;

const ISTIO_PROFILES = ['default', 'demo', 'minimal', 'empty', 'ambient'] as const;

const resources = z
  .object({
    cpus: z.number().int().min(1).max(1024).describe('CPUs the cluster needs').optional(),
    memory: size.describe('Memory the cluster needs').optional(),
    disk: size.describe('Free disk the cluster needs').optional(),
  })
  .strict();

const gateway = z
  .object({
    ingress: z.boolean().describe("Install Istio's classic ingress gateway (istio-ingressgateway)").optional(),
    egress: z.boolean().describe('Install the egress gateway').optional(),
    httpNodePort: nodePort
      .describe('Pinned nodePort of the gateway http2 port (kind maps it to the host); best in 30000-30085, which random nodePorts leave alone')
      .optional(),
    httpsNodePort: nodePort.describe('Pinned nodePort of the gateway https port; best in 30000-30085, which random nodePorts leave alone').optional(),
    hostHttpPort: port.describe('Host port that kind maps to httpNodePort').optional(),
    hostHttpsPort: port.describe('Host port that kind maps to httpsNodePort').optional(),
  })
  .strict();

const mtlsMode = z.enum(['strict', 'permissive']);

export const DATAPLANES = ['sidecar', 'ambient'] as const;
const dataplane = z
  .enum(DATAPLANES)
  .describe('How workloads join the mesh: a sidecar proxy in each pod, or ambient mode (ztunnel on each node, waypoints for L7)');
export type Dataplane = z.infer<typeof dataplane>;

/** Istio's global.platform values (istio.io docs, platform prerequisites); kind needs none. */
export const ISTIO_PLATFORMS = ['gke', 'k3d', 'k3s', 'microk8s', 'minikube', 'openshift'] as const;
const platform = z
  .enum(ISTIO_PLATFORMS)
  .describe("Istio's global.platform for a cluster meshup did not create (it sets minikube's itself); ambient mode needs it on these platforms");

export const profileSchema = z
  .object({
    $schema: z.string().optional(),
    name,
    description: z.string(),
    istio: z
      .object({
        profile: z.enum(ISTIO_PROFILES).describe('The built-in istioctl profile this one starts from'),
        accessLogs: z.boolean().describe('Envoy access logs to stdout').optional(),
        tracingSampling: z.number().min(0).max(100).describe('Percent of requests traced').optional(),
        pilotResources: z.object({ cpu: z.string(), memory: z.string() }).strict().describe('istiod resource requests').optional(),
        proxyResources: z.object({ cpu: z.string(), memory: z.string() }).strict().describe('Sidecar resource requests').optional(),
      })
      .strict(),
    dataplane: dataplane.optional(),
    cluster: resources.extend({ cpus: z.number().int().min(1).max(1024), memory: size, disk: size }).strict(),
    addons: z.array(name).describe('Addons enabled by default'),
    injection: z.object({ namespaces: z.array(name) }).strict(),
    gateway: gateway.required(),
    mtls: mtlsMode.optional(),
  })
  .strict();
export type Profile = z.infer<typeof profileSchema>;

export const addonSchema = z
  .object({
    $schema: z.string().optional(),
    name,
    description: z.string(),
    manifest: z.string().describe('Path of the manifest inside the Istio release, e.g. samples/addons/kiali.yaml'),
    namespace: name,
    workloads: z.array(z.string().regex(/^(deployment|statefulset|daemonset)\/[a-z0-9.-]+$/, 'must be kind/name, e.g. deployment/kiali')).min(1),
    dashboard: z
      .object({ service: name, port, path: z.string().default('/') })
      .strict()
      .optional(),
    dependsOn: z.array(name).default([]),
    with: z
      .record(
        name,
        z
          .object({
            configMap: name.describe('The addon ConfigMap that holds its configuration'),
            key: z.string().describe('The key of that ConfigMap whose value is a YAML document'),
            set: z.record(z.string(), z.unknown()).describe('Dotted paths in that document and the values they get'),
            restart: z
              .string()
              .regex(/^(deployment|statefulset|daemonset)\/[a-z0-9.-]+$/, 'must be kind/name, e.g. deployment/kiali')
              .describe('The workload that reads the configuration at start: its pods are rolled when it changes'),
          })
          .strict(),
      )
      .describe('Settings that apply when another addon is enabled too, keyed by that addon')
      .optional(),
    footprint: z
      .object({ cpuMillis: z.number().int().min(0), memory: size })
      .strict()
      .describe('What the addon requests; counted in the preflight'),
  })
  .strict();
export type Addon = z.infer<typeof addonSchema>;

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    provider: providerName.optional(),
    clusterName: name.describe('Name of the minikube profile, kind or kwok cluster').optional(),
    context: z.string().describe('Kube context for the existing provider').optional(),
    profile: z.string().describe('A profile name from profiles/, or a path to a profile file').optional(),
    addons: z.array(name).optional(),
    namespaces: z.array(name).describe('Namespaces in the mesh (sidecar injection, or ambient enrolment)').optional(),
    dataplane: dataplane.optional(),
    platform: platform.optional(),
    istioVersion: z.string().optional(),
    kubernetesVersion: z.string().optional(),
    resources: resources.optional(),
    gateway: gateway.optional(),
    mtls: mtlsMode.optional(),
    allowContexts: z.array(z.string()).describe('Non-local contexts meshup may change').optional(),
    driver: z.string().describe('minikube driver (docker, hyperkit, kvm2, ...)').optional(),
    istioMirror: z.string().url().describe('Base URL to download Istio releases from').optional(),
    gatewayApi: z.boolean().describe('Install the Gateway API CRDs of the release Istio is built against (default true); false leaves them to you').optional(),
    gatewayApiMirror: z.string().url().describe('Base URL to download Gateway API releases (standard-install.yaml) from').optional(),
    cache: z
      .union([
        z.boolean(),
        z
          .object({
            upstreams: z
              .record(z.string(), z.string().url())
              .describe("Where meshup's caches fetch each registry from, e.g. docker.io: https://mirror.example.com")
              .optional(),
            external: z
              .record(z.string(), z.string().url())
              .describe('Pull-through caches you run, by the registry each fronts (http://host:port): meshup prefetches through them and runs none')
              .optional(),
          })
          .strict(),
      ])
      .describe('Pull-through image caches shared by every cluster (default: on for kind and minikube); false turns them off')
      .optional(),
    clusters: z
      .union([
        z.number().int().min(1).max(MAX_CLUSTERS),
        z
          .array(
            z
              .object({
                name: name.describe('The cluster name (and Istio cluster ID)'),
                provider: providerName.describe('Its provider (default: the provider every other setting names)').optional(),
                context: z.string().describe('Its kube context, for the existing provider').optional(),
                network: name.describe('Its Istio network (default: one network for all; one each with multiNetwork)').optional(),
              })
              .strict(),
          )
          .min(1)
          .max(MAX_CLUSTERS),
      ])
      .describe('Clusters that form one mesh: a number (names derived from clusterName) or a list; multi-primary')
      .optional(),
    multiNetwork: z.boolean().describe('Give each cluster its own Istio network, with east-west gateways between them (default false)').optional(),
    meshID: name.describe('The mesh ID the clusters share (default: the first cluster name without its number)').optional(),
    localRegistry: z
      .union([z.boolean(), z.object({ port: z.number().int().min(1).max(65535) }).strict()])
      .describe('A registry for your own images at localhost:PORT (default: on for kind, port 5001); false turns it off')
      .optional(),
  })
  .strict();
export type MeshupConfig = z.infer<typeof configSchema>;

const minorOf = (v: string) => Number(v.split('.')[1]);
const kubeMinor = z.string().regex(/^1\.\d+$/, 'must be a Kubernetes minor such as "1.32"');
const kubeVersion = z.string().regex(/^v1\.\d+\.\d+$/, 'must be a Kubernetes release such as v1.33.1');
const toolVersion = z.string().regex(/^v\d+\.\d+\.\d+$/, 'must be a release such as v0.33.0');
// Pinned by digest: a tag alone can be pushed again, and kind supports an image only as built.
const kindImage = z
  .string()
  .regex(/^kindest\/node:v1\.\d+\.\d+@sha256:[0-9a-f]{64}$/, 'must be a kindest/node image pinned by digest (kindest/node:v1.36.4@sha256:...)');

export const versionsSchema = z
  .object({
    $schema: z.string().optional(),
    istio: z
      .array(
        z
          .object({
            minor: z.string().regex(/^1\.\d+$/, 'must be an Istio minor such as "1.31"'),
            kubernetes: z
              .object({ min: kubeMinor, max: kubeMinor })
              .strict()
              .refine((k) => minorOf(k.min) <= minorOf(k.max), { message: 'min must not be above max', path: ['max'] })
              .describe('The Kubernetes minors this Istio minor supports'),
            gatewayApi: z
              .object({
                version: toolVersion,
                channel: z.enum(['standard', 'experimental']),
                accepts: z
                  .array(z.string().regex(/^v\d+\.\d+$/, 'must be a Gateway API minor such as v1.5'))
                  .describe("The Gateway API minors whose CRDs it works with (default: its own release's); a canary needs one both revisions accept")
                  .optional(),
              })
              .strict()
              .describe('The Gateway API release it is built against'),
            notes: z.array(z.string()).describe('What a user of this minor should know (addons, images)').optional(),
          })
          .strict(),
      )
      .min(1)
      .describe('Istio minors, newest first'),
    kind: z
      .array(
        z
          .object({ version: toolVersion, default: kindImage, images: z.array(kindImage).min(1) })
          .strict()
          .refine((k) => k.images.includes(k.default), { message: 'the default image must be one of images', path: ['default'] })
          .describe('A kind release, its default node image and the node images its release notes list'),
      )
      .describe('kind releases, newest first'),
    minikube: z
      .array(
        z
          .object({ version: toolVersion, default: kubeVersion, newest: kubeVersion, oldest: kubeVersion })
          .strict()
          .describe('A minikube release and the Kubernetes versions it supports'),
      )
      .describe('minikube releases, newest first'),
  })
  .strict();
export type VersionCatalog = z.infer<typeof versionsSchema>;
export type IstioRelease = VersionCatalog['istio'][number];

export const SCHEMAS = { profile: profileSchema, addon: addonSchema, config: configSchema, versions: versionsSchema } as const;
export type SchemaKind = keyof typeof SCHEMAS;
