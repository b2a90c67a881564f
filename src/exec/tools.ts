// Everything meshup knows of each program it drives, in one record per program: how to get it,
// how to ask its version, what its known failures mean, whether it talks to a cluster (and so
// gets the pinned --context), and which argument shapes change something. The runner reads it;
// the tests' dry-run oracle asks it too, and refuses a shape it does not know.

export type ToolName = 'kubectl' | 'docker' | 'kind' | 'minikube' | 'istioctl' | 'kwokctl' | 'openssl';

type Platform = 'linux' | 'darwin' | 'win32';

export interface KnownError {
  pattern: RegExp;
  message: string;
  fix: string;
}

export interface ToolDescriptor {
  name: ToolName;
  /** It talks to a Kubernetes API: every call names the runner's context. */
  kube: boolean;
  install: Partial<Record<Platform, string>> & { any: string };
  /** The arguments that print its own version, and how to read it. */
  version: { args: readonly string[]; parse: (stdout: string) => string };
  knownErrors: readonly KnownError[];
  /** Whether a call with these arguments (its --context left out) changes anything; undefined for
   * a shape meshup never makes. */
  changes: (args: readonly string[]) => boolean | undefined;
  /** Whether it rewrites the kubeconfig (a cluster's context added or removed): such calls run one
   * at a time per kubeconfig, or one writer's context is lost. */
  writesKubeconfig?: (args: readonly string[]) => boolean;
}

const verbIn =
  (...verbs: string[]) =>
  (args: readonly string[]) => {
    const words = args.filter((a) => !a.startsWith('-'));
    return verbs.includes(words[0] ?? '') || verbs.includes(`${words[0]} ${words[1] ?? ''}`);
  };

/** A verb decides, given the words that make each kind of call: a first word, or two. */
function byVerb(reads: readonly string[], writes: readonly string[]): ToolDescriptor['changes'] {
  return (args) => {
    const words = args.filter((a) => !a.startsWith('-'));
    const one = words[0] ?? args[0] ?? '';
    const two = `${one} ${words[1] ?? ''}`;
    if (writes.includes(two) || writes.includes(one)) return true;
    if (reads.includes(two) || reads.includes(one)) return false;
    return undefined;
  };
}

const semver = (stdout: string) => /v?(\d+\.\d+\.\d+\S*)/.exec(stdout)?.[1] ?? stdout.trim();

const DOCKER_DOWN: KnownError = {
  pattern: /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|PROVIDER_DOCKER_NOT_RUNNING|DRV_NOT_HEALTHY/i,
  message: 'Docker is not running',
  fix: 'Start Docker (Docker Desktop, or: sudo systemctl start docker) and run the command again',
};
const INOTIFY: KnownError = {
  pattern: /too many open files/i,
  message: 'The host ran out of inotify watches',
  fix: 'sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512',
};
const KUBE_ERRORS: readonly KnownError[] = [
  {
    // kubectl get says "context was not found for specified context"; config use-context says "does not exist".
    pattern: /context "[^"]*" does not exist|no context exists with the name|context was not found for specified context/i,
    message: 'The kube context does not exist',
    fix: 'meshup up restores the context of a kind cluster it finds; otherwise list contexts with: kubectl config get-contexts',
  },
  {
    pattern: /Unable to connect to the server|connection refused|i\/o timeout|no such host|the server could not find the requested resource \(get nodes\)/i,
    message: "The cluster's API server is not reachable",
    fix: 'Check that the cluster runs (meshup status) or start it (meshup up)',
  },
  {
    pattern: /is forbidden: User|\(Forbidden\)/,
    message: 'Your kube user lacks permission for this',
    fix: 'Use a context with cluster-admin rights (local clusters give you that by default)',
  },
];

const kubectlVerbs = byVerb(
  ['get', 'config view', 'version', 'api-resources', 'wait', 'rollout status', 'port-forward', 'describe', 'logs', 'diff', 'explain', 'auth'],
  [
    'apply',
    'delete',
    'label',
    'annotate',
    'create',
    'patch',
    'replace',
    'scale',
    'edit',
    'set',
    'rollout restart',
    'rollout undo',
    'config set-context',
    'config use-context',
    'config delete-context',
  ],
);

const dockerVerbs = byVerb(
  ['--version', 'version', 'system info', 'info', 'inspect', 'ps', 'images', 'network ls', 'network inspect', 'volume ls', 'volume inspect', 'logs'],
  [
    'start',
    'stop',
    'restart',
    'rm',
    'run',
    'create',
    'pull',
    'push',
    'tag',
    'network create',
    'network rm',
    'network connect',
    'volume create',
    'volume rm',
    'exec',
  ],
);

const TOOLS: Record<ToolName, ToolDescriptor> = {
  kubectl: {
    name: 'kubectl',
    kube: true,
    install: {
      linux: 'Install kubectl: https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/',
      darwin: 'Install kubectl: brew install kubectl',
      win32: 'Install kubectl: winget install Kubernetes.kubectl',
      any: 'Install kubectl: https://kubernetes.io/docs/tasks/tools/',
    },
    version: {
      args: ['version', '--client', '-o', 'json'],
      parse: (out) =>
        ((JSON.parse(out) as { clientVersion?: { gitVersion?: string } }).clientVersion?.gitVersion ?? '').replace(/^v/, '').replace(/-dispatcher$/, ''),
    },
    knownErrors: [DOCKER_DOWN, ...KUBE_ERRORS, INOTIFY],
    // A server-side dry run (apply --dry-run=server, as a drift check sends it) changes nothing.
    changes: (args) => (args.some((a) => a.startsWith('--dry-run=')) ? false : kubectlVerbs(args)),
  },
  istioctl: {
    name: 'istioctl',
    kube: true,
    install: {
      darwin: 'Install istioctl (brew install istioctl), or let meshup download the release: drop --no-download',
      any: 'meshup downloads istioctl with the Istio release; or pass --istio-dir DIR with an extracted release',
    },
    version: {
      args: ['version', '--remote=false', '-o', 'json'],
      parse: (out) => (JSON.parse(out) as { clientVersion?: { version?: string } }).clientVersion?.version ?? '',
    },
    knownErrors: [
      DOCKER_DOWN,
      ...KUBE_ERRORS,
      INOTIFY,
      {
        pattern: /exec format error/i,
        message: 'istioctl was built for another CPU architecture',
        fix: 'Delete the cached release (rm -rf ~/.cache/meshup/istio) so meshup downloads the right one',
      },
    ],
    changes: byVerb(
      ['version', 'manifest generate', 'kube-inject', 'x precheck', 'proxy-status', 'analyze', 'tag list', 'create-remote-secret', 'proxy-config'],
      ['install', 'apply', 'uninstall', 'tag set', 'tag remove', 'upgrade', 'waypoint apply', 'waypoint delete'],
    ),
  },
  kind: {
    name: 'kind',
    kube: false,
    install: {
      linux: 'Install kind: go install sigs.k8s.io/kind@latest (or see https://kind.sigs.k8s.io/docs/user/quick-start/)',
      darwin: 'Install kind: brew install kind',
      win32: 'Install kind: winget install Kubernetes.kind',
      any: 'Install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
    },
    version: { args: ['version'], parse: semver },
    knownErrors: [
      DOCKER_DOWN,
      {
        pattern: /node\(s\) already exist for a cluster with the name/i,
        message: 'A kind cluster with that name already exists',
        fix: 'Reuse it (meshup up reuses clusters it finds) or delete it: kind delete cluster --name NAME',
      },
      INOTIFY,
    ],
    // Writing the kubeconfig (export) changes what kubectl reaches, so it counts as a change.
    changes: byVerb(
      ['get clusters', 'get nodes', 'get kubeconfig', 'version'],
      ['create cluster', 'delete cluster', 'delete clusters', 'export kubeconfig', 'load'],
    ),
    writesKubeconfig: verbIn('create cluster', 'delete cluster', 'delete clusters', 'export kubeconfig'),
  },
  minikube: {
    name: 'minikube',
    kube: false,
    install: {
      darwin: 'Install minikube: brew install minikube',
      win32: 'Install minikube: winget install Kubernetes.minikube',
      any: 'Install minikube: https://minikube.sigs.k8s.io/docs/start/',
    },
    version: { args: ['version', '--short'], parse: semver },
    knownErrors: [
      DOCKER_DOWN,
      {
        pattern: /RSRC_INSUFFICIENT_\w*(MEMORY|CORES)|Requested memory allocation .* is less than|Docker Desktop has only/i,
        message: 'minikube was given more CPU or memory than Docker has',
        fix: "Raise Docker Desktop's CPUs and memory (Settings > Resources) or choose a smaller profile: --profile minimal",
      },
      {
        pattern: /DRV_AS_ROOT|should not be used with root privileges/i,
        message: 'minikube refuses to run its docker driver as root',
        fix: 'Run meshup as a regular user in the docker group, or use --provider kind',
      },
      INOTIFY,
    ],
    changes: byVerb(
      ['status', 'profile list', 'ip', 'version', 'service'],
      ['start', 'stop', 'delete', 'pause', 'unpause', 'update-context', 'addons enable', 'addons disable', 'tunnel'],
    ),
    writesKubeconfig: verbIn('start', 'stop', 'delete', 'update-context'),
  },
  docker: {
    name: 'docker',
    kube: false,
    install: {
      linux: 'Install Docker Engine (https://docs.docker.com/engine/install/) and start it: sudo systemctl start docker',
      darwin: 'Install Docker Desktop (brew install --cask docker) and start it',
      win32: 'Install Docker Desktop (winget install Docker.DockerDesktop) and start it',
      any: 'Install Docker: https://docs.docker.com/get-docker/',
    },
    version: { args: ['--version'], parse: (out) => /version\s+v?([0-9][^\s,]*)/i.exec(out)?.[1] ?? out.trim() },
    knownErrors: [
      DOCKER_DOWN,
      {
        pattern: /permission denied while trying to connect to the Docker daemon/i,
        message: 'Your user may not talk to the Docker daemon',
        fix: 'Add yourself to the docker group (sudo usermod -aG docker $USER) and log in again',
      },
      INOTIFY,
    ],
    // Inside a container, reading a file or its storage's size changes nothing; any other exec may.
    changes: (args) => {
      const words = args.filter((a) => !a.startsWith('-'));
      if (words[0] === 'exec' && ['cat', 'du'].includes(words[2] ?? '')) return false;
      return dockerVerbs(args);
    },
  },
  kwokctl: {
    name: 'kwokctl',
    kube: false,
    install: {
      darwin: 'Install kwokctl: brew install kwok',
      any: 'Install kwokctl: go install sigs.k8s.io/kwok/cmd/kwokctl@v0.7.0 sigs.k8s.io/kwok/cmd/kwok@v0.7.0',
    },
    version: { args: ['--version'], parse: (out) => out.replace(/^kwokctl version\s*/i, '').split(/\s/)[0] ?? '' },
    knownErrors: [DOCKER_DOWN, INOTIFY],
    changes: byVerb(['get clusters', 'get kubeconfig', 'get components', '--version'], ['create cluster', 'delete cluster', 'start cluster', 'stop cluster']),
    writesKubeconfig: verbIn('create cluster', 'delete cluster'),
  },
  // Makes the mesh's certificates (trust/ca.ts): it writes files on this machine, nothing else.
  openssl: {
    name: 'openssl',
    kube: false,
    install: {
      linux: 'Install OpenSSL: sudo apt-get install openssl (or your distribution’s package)',
      darwin: 'OpenSSL (or LibreSSL) comes with macOS; or: brew install openssl',
      win32: 'Install OpenSSL: winget install ShiningLight.OpenSSL.Light (Git for Windows also ships it)',
      any: 'Install OpenSSL: https://openssl-library.org/source/',
    },
    version: { args: ['version'], parse: (out) => /(?:OpenSSL|LibreSSL)\s+(\S+)/.exec(out)?.[1] ?? out.trim() },
    knownErrors: [],
    changes: byVerb(['version', 'verify'], ['req', 'x509']),
  },
};

export const toolDescriptor = (tool: ToolName): ToolDescriptor => TOOLS[tool];

export function installHint(tool: ToolName, platform: string = process.platform): string {
  const h = TOOLS[tool].install;
  return h[platform as Platform] ?? h.any;
}

export function matchKnownError(tool: ToolName, output: string): KnownError | undefined {
  return TOOLS[tool].knownErrors.find((k) => k.pattern.test(output));
}
