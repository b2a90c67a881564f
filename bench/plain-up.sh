#!/usr/bin/env bash
# The plain alternative meshup is measured against: the steps of Istio's getting-started docs,
# one after another, on a kwok cluster. Args: NAME RELEASE_DIR KWOKCTL_CONFIG NODE_YAML
set -euo pipefail
name=$1 release=$2 config=$3 node=$4
ctx=kwok-$name
if ! kwokctl get clusters | grep -qx "$name"; then
  kwokctl create cluster --name "$name" --config "$config" --runtime binary --wait 2m
  kubectl --context "$ctx" apply -f "$node"
fi
"$release/bin/istioctl" install --context "$ctx" --set profile=demo -y
kubectl --context "$ctx" label namespace default istio-injection=enabled --overwrite
# Applying a CRD and its resources at once races ("no matches for kind", istio/istio#27417);
# Istio's docs say to run the apply again, so the script does, at most 10 times.
for a in prometheus grafana kiali jaeger; do
  for try in 1 2 3 4 5 6 7 8 9 10; do
    kubectl --context "$ctx" apply -f "$release/samples/addons/$a.yaml" && break
    [ "$try" = 10 ] && exit 1
    echo "retrying $a ($try)" >&2
    sleep 1
  done
done
for a in prometheus grafana kiali jaeger; do
  kubectl --context "$ctx" rollout status "deployment/$a" -n istio-system --timeout=5m
done
