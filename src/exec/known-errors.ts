// Known stderr of the driven tools, mapped to what it means and what to do. Matched against a
// failed command's output so users never see a bare "exit status 1".
import type { ToolName } from './runner.js';

export interface KnownError {
  tools?: ToolName[];
  pattern: RegExp;
  message: string;
  fix: string;
}

const KNOWN_ERRORS: KnownError[] = [
  {
    pattern: /Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|PROVIDER_DOCKER_NOT_RUNNING|DRV_NOT_HEALTHY/i,
    message: 'Docker is not running',
    fix: 'Start Docker (Docker Desktop, or: sudo systemctl start docker) and run the command again',
  },
  {
    tools: ['docker'],
    pattern: /permission denied while trying to connect to the Docker daemon/i,
    message: 'Your user may not talk to the Docker daemon',
    fix: 'Add yourself to the docker group (sudo usermod -aG docker $USER) and log in again',
  },
  {
    tools: ['kubectl', 'istioctl'],
    // kubectl get says "context was not found for specified context"; config use-context says "does not exist".
    pattern: /context "[^"]*" does not exist|no context exists with the name|context was not found for specified context/i,
    message: 'The kube context does not exist',
    fix: 'meshup up restores the context of a kind cluster it finds; otherwise list contexts with: kubectl config get-contexts',
  },
  {
    tools: ['kubectl', 'istioctl'],
    pattern: /Unable to connect to the server|connection refused|i\/o timeout|no such host|the server could not find the requested resource \(get nodes\)/i,
    message: "The cluster's API server is not reachable",
    fix: 'Check that the cluster runs (meshup status) or start it (meshup up)',
  },
  {
    tools: ['kubectl', 'istioctl'],
    pattern: /is forbidden: User|\(Forbidden\)/,
    message: 'Your kube user lacks permission for this',
    fix: 'Use a context with cluster-admin rights (local clusters give you that by default)',
  },
  {
    tools: ['kind'],
    pattern: /node\(s\) already exist for a cluster with the name/i,
    message: 'A kind cluster with that name already exists',
    fix: 'Reuse it (meshup up reuses clusters it finds) or delete it: kind delete cluster --name NAME',
  },
  {
    tools: ['minikube'],
    pattern: /RSRC_INSUFFICIENT_\w*(MEMORY|CORES)|Requested memory allocation .* is less than|Docker Desktop has only/i,
    message: 'minikube was given more CPU or memory than Docker has',
    fix: "Raise Docker Desktop's CPUs and memory (Settings > Resources) or choose a smaller profile: --profile minimal",
  },
  {
    tools: ['minikube'],
    pattern: /DRV_AS_ROOT|should not be used with root privileges/i,
    message: 'minikube refuses to run its docker driver as root',
    fix: 'Run meshup as a regular user in the docker group, or use --provider kind',
  },
  {
    pattern: /too many open files/i,
    message: 'The host ran out of inotify watches',
    fix: 'sudo sysctl fs.inotify.max_user_watches=524288 fs.inotify.max_user_instances=512',
  },
  {
    tools: ['istioctl'],
    pattern: /exec format error/i,
    message: 'istioctl was built for another CPU architecture',
    fix: 'Delete the cached release (rm -rf ~/.cache/meshup/istio) so meshup downloads the right one',
  },
];

export function matchKnownError(tool: ToolName, output: string): KnownError | undefined {
  return KNOWN_ERRORS.find((k) => (!k.tools || k.tools.includes(tool)) && k.pattern.test(output));
}
