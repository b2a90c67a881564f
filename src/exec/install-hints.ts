// How to get each program meshup drives, per operating system; shown when one is missing.
import type { ToolName } from './runner.js';

type Platform = 'linux' | 'darwin' | 'win32';

const HINTS: Record<ToolName, Partial<Record<Platform, string>> & { any: string }> = {
  docker: {
    linux: 'Install Docker Engine (https://docs.docker.com/engine/install/) and start it: sudo systemctl start docker',
    darwin: 'Install Docker Desktop (brew install --cask docker) and start it',
    win32: 'Install Docker Desktop (winget install Docker.DockerDesktop) and start it',
    any: 'Install Docker: https://docs.docker.com/get-docker/',
  },
  kubectl: {
    linux: 'Install kubectl: https://kubernetes.io/docs/tasks/tools/install-kubectl-linux/',
    darwin: 'Install kubectl: brew install kubectl',
    win32: 'Install kubectl: winget install Kubernetes.kubectl',
    any: 'Install kubectl: https://kubernetes.io/docs/tasks/tools/',
  },
  kind: {
    linux: 'Install kind: go install sigs.k8s.io/kind@latest (or see https://kind.sigs.k8s.io/docs/user/quick-start/)',
    darwin: 'Install kind: brew install kind',
    win32: 'Install kind: winget install Kubernetes.kind',
    any: 'Install kind: https://kind.sigs.k8s.io/docs/user/quick-start/#installation',
  },
  minikube: {
    darwin: 'Install minikube: brew install minikube',
    win32: 'Install minikube: winget install Kubernetes.minikube',
    any: 'Install minikube: https://minikube.sigs.k8s.io/docs/start/',
  },
  istioctl: {
    darwin: 'Install istioctl (brew install istioctl), or let meshup download the release: drop --no-download',
    any: 'meshup downloads istioctl with the Istio release; or pass --istio-dir DIR with an extracted release',
  },
  kwokctl: {
    darwin: 'Install kwokctl: brew install kwok',
    any: 'Install kwokctl: go install sigs.k8s.io/kwok/cmd/kwokctl@v0.7.0 sigs.k8s.io/kwok/cmd/kwok@v0.7.0',
  },
};

export function installHint(tool: ToolName, platform: string = process.platform): string {
  const h = HINTS[tool];
  return h[platform as Platform] ?? h.any;
}
