# Pinned versions of everything the project builds or installs for tests and local runs.
# Sourced by the other hack/ scripts; change a version here and the cache key changes with it.
# shellcheck shell=bash
K8S_VERSION=1.36.3        # kube-apiserver, kube-controller-manager, kube-scheduler, kubectl, kubelet, kube-proxy
ETCD_VERSION=3.6.16       # etcd server (k8s 1.36 uses the 3.6 client)
KWOK_VERSION=0.7.0        # 0.7.x still ships default node/pod stages (0.8 removed them)
INFERENCE_SIM_VERSION=0.10.2
CONTAINERD_VERSION=2.2.9  # containerd and its runc shim for the node tier (2.2 still runs on cgroup v1 hosts)
COREDNS_VERSION=1.14.7    # cluster DNS for the node tier
HELM_VERSION=4.3.2        # the chart's lint, template and install tests (helm.sh/helm/v4)
PROMETHEUS_VERSION=0.316.0 # promtool: checks and unit-tests the alert rules, parses the dashboards' PromQL
VEGETA_VERSION=12.13.0    # open-loop, fixed-rate HTTP load generator for test/bench/gateway-peers.ts
NODE_VERSION=24.21.0      # Node.js LTS the project runs on (client-node 2.x needs >= 22.19); from npm's node-linux-* packages

# Everything built or downloaded lives under one cache root, keyed by version, so repeat runs reuse it.
PERPETUAL_CACHE=${PERPETUAL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/perpetual}
