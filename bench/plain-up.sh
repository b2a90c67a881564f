#!/usr/bin/env bash
# The plain alternative meshup is measured against: the steps of Istio's docs, one after another,
# on a kwok cluster. Download and unpack the release (curl, then tar, as Istio's downloadIstio
# script does; it checks no checksum), create the cluster, `istioctl install` the demo profile with
# Jaeger as tracing provider, label the namespace, `kubectl apply` the four addons of
# samples/addons meshup installs, select the provider with a Telemetry (the docs' tracing task),
# wait for the addons' rollouts. A re-run, as a user would do it, reuses the unpacked release and
# the cluster and runs the rest again.
# Args: NAME MIRROR_URL ISTIO_VERSION WORKDIR KWOKCTL_CONFIG NODE_YAML GATEWAY_API_MIRROR GATEWAY_API_VERSION
set -euo pipefail
name=$1 mirror=$2 version=$3 work=$4 config=$5 node=$6 gwmirror=$7 gwversion=$8
ctx=kwok-$name
release=$work/istio-$version

if [ ! -x "$release/bin/istioctl" ]; then
  case $(uname -s) in Darwin) os=osx ;; *) os=linux ;; esac
  case $(uname -m) in aarch64 | arm64) arch=arm64 ;; *) arch=amd64 ;; esac
  file=istio-$version-$os-$arch.tar.gz
  mkdir -p "$work"
  curl -fsSL -o "$work/$file" "$mirror/$version/$file"
  tar -xzf "$work/$file" -C "$work"
fi

if ! kwokctl get clusters | grep -qx "$name"; then
  kwokctl create cluster --name "$name" --config "$config" --runtime binary --wait 2m
  kubectl --context "$ctx" apply -f "$node"
fi

"$release/bin/istioctl" install --context "$ctx" -y --set profile=demo \
  --set meshConfig.enableTracing=true \
  --set 'meshConfig.extensionProviders[0].name=jaeger' \
  --set 'meshConfig.extensionProviders[0].zipkin.service=zipkin.istio-system.svc.cluster.local' \
  --set 'meshConfig.extensionProviders[0].zipkin.port=9411'
kubectl --context "$ctx" get crd gateways.gateway.networking.k8s.io >/dev/null 2>&1 ||
  kubectl --context "$ctx" apply --server-side -f "$gwmirror/$gwversion/standard-install.yaml"
kubectl --context "$ctx" label namespace default istio-injection=enabled --overwrite
addons=(prometheus grafana kiali jaeger)
files=()
for a in "${addons[@]}"; do files+=(-f "$release/samples/addons/$a.yaml"); done
kubectl --context "$ctx" apply "${files[@]}"
kubectl --context "$ctx" apply -f - <<'YAML'
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: { name: mesh-default, namespace: istio-system }
spec:
  tracing:
    - providers: [{ name: jaeger }]
      randomSamplingPercentage: 100
YAML
for a in "${addons[@]}"; do
  kubectl --context "$ctx" rollout status "deployment/$a" -n istio-system --timeout=5m
done
