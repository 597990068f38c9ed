#!/usr/bin/env bash
# Builds, from Go modules, into a version-keyed cache: the control plane (etcd, kube-apiserver,
# kube-controller-manager, kube-scheduler, kubectl), the node (kubelet, kube-proxy, containerd and
# its runc shim, CoreDNS, a fake GPU device plugin), kwok, llm-d-inference-sim, the image tools
# (our deterministic image writer and pause), helm (the chart's tests), promtool (the alert rules'
# and dashboards' checks) and vegeta (the open-loop load generator of test/bench/gateway-peers.ts).
# Already-built entries are reused; the cache key includes the wrapper's go.mod, go.sum and any Go
# source of ours, so editing a wrapper rebuilds it. Links the binaries into .bin/ in the repo.
source "$(dirname "$0")/lib/common.sh"

command -v go >/dev/null || die "Go is not installed; the test control plane is built from Go modules (need Go >= 1.26)."
GO_VERSION=$(go env GOVERSION)
case "$GO_VERSION" in go1.2[6-9]*|go1.[3-9][0-9]*) ;; *) die "Go $GO_VERSION is too old: Kubernetes $K8S_VERSION needs Go >= 1.26.";; esac

# Never download a toolchain (only module registries are reachable); static, reproducible builds.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
WRAPPERS="$REPO_ROOT/hack/go"

download_modules() {
  (cd "$1" && go mod download) || die "could not download the Go modules for $1: is the Go module proxy reachable (GOPROXY=$(go env GOPROXY))?"
}

build_k8s() {
  local out=$1 minor ldflags="-s -w" p
  minor=$(echo "$K8S_VERSION" | cut -d. -f2)
  # Stamp the real version so kubectl, the kubelet and /version report it (otherwise v0.0.0-master).
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ldflags+=" -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
  done
  download_modules "$WRAPPERS/k8s"
  (cd "$WRAPPERS/k8s" && GOBIN="$out" go install -trimpath -ldflags="$ldflags" tool)
}

build_etcd() {
  local out=$1
  download_modules "$WRAPPERS/etcd"
  (cd "$WRAPPERS/etcd" && GOBIN="$out" go install -trimpath -ldflags="-s -w" tool)
  mv "$out/server" "$out/etcd"   # Go names the binary after the path element before /v3
}

build_containerd() {
  local out=$1 p=github.com/containerd/containerd/v2/version
  download_modules "$WRAPPERS/containerd"
  (cd "$WRAPPERS/containerd" && GOBIN="$out" go install -trimpath \
    -ldflags="-s -w -X $p.Version=v$CONTAINERD_VERSION -X $p.Package=github.com/containerd/containerd/v2" tool)
}

# Stamp the version so `helm version` (and the chart's kubeVersion checks) see the real one.
build_helm() {
  local out=$1
  download_modules "$WRAPPERS/helm"
  (cd "$WRAPPERS/helm" && GOBIN="$out" go install -trimpath \
    -ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=v$HELM_VERSION" tool)
}

build_promtool() {
  local out=$1
  download_modules "$WRAPPERS/promtool"
  (cd "$WRAPPERS/promtool" && GOBIN="$out" go install -trimpath \
    -ldflags="-s -w -X github.com/prometheus/common/version.Version=$PROMETHEUS_VERSION" tool)
}

# Wrapper modules that name upstream commands with `tool` lines.
build_go_tool() {
  local dir=$1 out=$2
  download_modules "$WRAPPERS/$dir"
  (cd "$WRAPPERS/$dir" && GOBIN="$out" go install -trimpath -ldflags="-s -w" tool)
}

# Wrapper modules with main packages of our own.
build_go_main() {
  local dir=$1 out=$2
  download_modules "$WRAPPERS/$dir"
  (cd "$WRAPPERS/$dir" && GOBIN="$out" go install -trimpath -ldflags="-s -w" ./...)
}

build_one() {
  local name=$1 version=$2 builder=$3 dir=$4
  local dest key started
  key=$(content_hash $(find "$WRAPPERS/$dir" -type f \( -name go.mod -o -name go.sum -o -name '*.go' \) | sort))
  dest="$PERPETUAL_CACHE/bin/$name-$version-$key"
  if [ ! -f "$dest/.complete" ]; then
    log "Building $name $version (cold builds take minutes; cached afterwards in $dest)"
    started=$(date +%s)
    # $builder may carry an argument (e.g. "build_go_tool kwok"): split it on purpose.
    # shellcheck disable=SC2086
    build_cache_entry "$dest" $builder
    log "Built $name $version in $(( $(date +%s) - started ))s"
  fi
  local f
  for f in "$dest"/*; do link_into_local_bin "$f"; done
}

build_one etcd "$ETCD_VERSION" build_etcd etcd
build_one kwok "$KWOK_VERSION" "build_go_tool kwok" kwok
build_one inference-sim "$INFERENCE_SIM_VERSION" "build_go_tool inference-sim" inference-sim
build_one kubernetes "$K8S_VERSION" build_k8s k8s
build_one image-tools 1 "build_go_main image-tools" image-tools
build_one device-plugin 1 "build_go_main device-plugin" device-plugin
build_one coredns "$COREDNS_VERSION" "build_go_main coredns" coredns
build_one containerd "$CONTAINERD_VERSION" build_containerd containerd
build_one helm "$HELM_VERSION" build_helm helm
build_one promtool "$PROMETHEUS_VERSION" build_promtool promtool
build_one vegeta "$VEGETA_VERSION" "build_go_tool vegeta" vegeta
log "Go-built binaries ready in $LOCAL_BIN"
