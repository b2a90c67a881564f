#!/usr/bin/env bash
# The plain alternative for a mesh of two clusters: the steps of Istio's multi-primary guide,
# one after another, on two kwok clusters. Make both clusters; a root CA and an intermediate per
# cluster with openssl (what the guide's tools/certs Makefile does); per cluster: istio-system
# with its network label and the cacerts Secret, `istioctl install` with the mesh ID, cluster
# name and network, the injection label; then `istioctl create-remote-secret` each way.
# Args: NAME_PREFIX ISTIO_DIR WORKDIR KWOKCTL_CONFIG PROFILE NODES_DIR (one NAME.yaml per cluster)
set -euo pipefail
prefix=$1 release=$2 work=$3 config=$4 profile=$5 nodes=$6
istioctl=$release/bin/istioctl
certs=$work/certs
mkdir -p "$certs"

for i in 1 2; do
  name=$prefix-$i
  if ! kwokctl get clusters | grep -qx "$name"; then
    # One retry: another kwokctl on this machine may have taken a port this one picked.
    kwokctl create cluster --name "$name" --config "$config" --runtime binary --wait 2m ||
      { kwokctl delete cluster --name "$name" && kwokctl create cluster --name "$name" --config "$config" --runtime binary --wait 2m; }
    kubectl --context "kwok-$name" apply -f "$nodes/$name.yaml"
  fi
done

if [ ! -f "$certs/root-cert.pem" ]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/O=bench/CN=Root CA' \
    -keyout "$certs/root-key.pem" -out "$certs/root-cert.pem" 2>/dev/null
fi
for i in 1 2; do
  name=$prefix-$i
  d=$certs/$name
  mkdir -p "$d"
  if [ ! -f "$d/ca-cert.pem" ]; then
    openssl req -newkey rsa:2048 -nodes -subj "/O=bench/CN=Intermediate CA/L=$name" -keyout "$d/ca-key.pem" -out "$d/ca.csr" 2>/dev/null
    printf 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,digitalSignature,keyCertSign,cRLSign\n' >"$d/ca.ext"
    openssl x509 -req -days 730 -in "$d/ca.csr" -CA "$certs/root-cert.pem" -CAkey "$certs/root-key.pem" -CAcreateserial \
      -extfile "$d/ca.ext" -out "$d/ca-cert.pem" 2>/dev/null
    cat "$d/ca-cert.pem" "$certs/root-cert.pem" >"$d/cert-chain.pem"
    cp "$certs/root-cert.pem" "$d/root-cert.pem"
  fi
  ctx=kwok-$name
  kubectl --context "$ctx" create namespace istio-system --dry-run=client -o yaml | kubectl --context "$ctx" apply -f -
  kubectl --context "$ctx" label namespace istio-system topology.istio.io/network=network1 --overwrite
  kubectl --context "$ctx" create secret generic cacerts -n istio-system --dry-run=client -o yaml \
    --from-file="$d/ca-cert.pem" --from-file="$d/ca-key.pem" --from-file="$d/root-cert.pem" --from-file="$d/cert-chain.pem" |
    kubectl --context "$ctx" apply -f -
  "$istioctl" install --context "$ctx" -y --set "profile=$profile" \
    --set values.global.meshID=mesh1 --set "values.global.multiCluster.clusterName=$name" --set values.global.network=network1
  kubectl --context "$ctx" label namespace default istio-injection=enabled --overwrite
done

"$istioctl" create-remote-secret --context "kwok-$prefix-1" --name "$prefix-1" | kubectl --context "kwok-$prefix-2" apply -f -
"$istioctl" create-remote-secret --context "kwok-$prefix-2" --name "$prefix-2" | kubectl --context "kwok-$prefix-1" apply -f -
