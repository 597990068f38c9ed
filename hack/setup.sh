#!/usr/bin/env bash
# Sets up everything the project needs on a fresh Debian machine, idempotently:
# Debian packages (PostgreSQL 15, Redis 7, openssl; runc, CNI plugins, iptables, conntrack for the
# node tier), Node.js from npm's node-linux-* package,
# npm dependencies, and the Go-built control plane and tools (helm, promtool among them). Safe to run
# again: finished steps are skipped.
source "$(dirname "$0")/lib/common.sh"

install_debian_packages() {
  local missing=()
  [ -x /usr/lib/postgresql/15/bin/initdb ] || missing+=(postgresql-15)
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v openssl >/dev/null || missing+=(openssl)
  [ -f /etc/ssl/certs/ca-certificates.crt ] || missing+=(ca-certificates)
  # The node tier: the OCI runtime, pod networking, and what kube-proxy programs Services with.
  command -v runc >/dev/null || missing+=(runc)
  [ -x /usr/lib/cni/bridge ] || missing+=(containernetworking-plugins)
  command -v iptables >/dev/null || missing+=(iptables)
  command -v conntrack >/dev/null || missing+=(conntrack)
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get to install them; install them by hand."
  local sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
  log "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq || die "apt-get update failed: is the Debian package mirror reachable?"
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "apt-get could not install ${missing[*]}."
  # The packages start system-wide services; the project runs its own private instances instead.
  $sudo service redis-server stop >/dev/null 2>&1 || true
}

install_node() {
  local arch dest
  case "$(uname -m)" in x86_64) arch=x64;; aarch64|arm64) arch=arm64;; *) die "no Node.js package for $(uname -m)";; esac
  dest="$PERPETUAL_CACHE/node-$NODE_VERSION-$arch"
  if [ ! -f "$dest/.complete" ]; then
    command -v npm >/dev/null || die "npm is needed once to fetch Node.js $NODE_VERSION from the npm registry."
    log "Installing Node.js $NODE_VERSION from the npm registry"
    fetch_node() { npm install --prefix "$1" --no-save --no-audit --no-fund "node-linux-$arch@$NODE_VERSION" >/dev/null \
      || die "could not fetch node-linux-$arch@$NODE_VERSION: is the npm registry reachable?"; }
    build_cache_entry "$dest" fetch_node
  fi
  link_into_local_bin "$dest/node_modules/node-linux-$arch/bin/node"
}

install_npm_dependencies() {
  local marker="$REPO_ROOT/node_modules/.perpetual-lock-hash" hash
  hash=$( { cat "$REPO_ROOT/package-lock.json"; echo "$NODE_VERSION"; } | sha256sum | cut -c1-12)
  [ -f "$marker" ] && [ "$(cat "$marker")" = "$hash" ] && return 0
  log "Installing npm dependencies"
  (cd "$REPO_ROOT" && npm ci --no-audit --no-fund) || die "npm ci failed: is the npm registry reachable?"
  echo "$hash" > "$marker"
}

install_debian_packages
install_node
export PATH="$LOCAL_BIN:$PATH"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); if (a<22||(a===22&&b<19)) process.exit(1)' \
  || die "Node.js $(node --version) from $LOCAL_BIN is older than 22.19."
install_npm_dependencies
"$REPO_ROOT/hack/build-binaries.sh"
log "Setup complete (Node $(node --version), binaries in $LOCAL_BIN)"
