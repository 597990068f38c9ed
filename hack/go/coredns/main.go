// A CoreDNS with only the plugins the node tier needs: cluster names from the API server, no
// forwarding (pods must never resolve names outside the cluster through the machine's resolver).
// Built like upstream's own minimal builds: the plugin chain is fixed here instead of plugin.cfg.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/kubernetes"
)

func init() {
	dnsserver.Directives = []string{"bind", "errors", "cache", "kubernetes"}
}

func main() { coremain.Run() }
