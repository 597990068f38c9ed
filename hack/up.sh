#!/usr/bin/env bash
# The main job: sets everything up, starts a local Kubernetes control plane with fake GPU nodes,
# installs the CRDs, runs the operator, applies the samples and shows them reaching Ready; then
# runs the gateway the operator configured, which scales the local ModelServer from zero and
# serves a chat with memory from a simulated vLLM. Pass --keep to leave the cluster running.
source "$(dirname "$0")/lib/common.sh"

"$REPO_ROOT/hack/setup.sh"
export PATH="$LOCAL_BIN:$PATH"
exec node "$REPO_ROOT/hack/demo.ts" "$@"
