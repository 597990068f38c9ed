#!/usr/bin/env bash
# The main job: sets everything up, starts a local Kubernetes control plane with fake GPU nodes,
# installs the CRDs, applies the samples and shows them. Pass --keep to leave it running.
source "$(dirname "$0")/lib/common.sh"

"$REPO_ROOT/hack/setup.sh"
export PATH="$LOCAL_BIN:$PATH"
exec node "$REPO_ROOT/hack/demo.ts" "$@"
