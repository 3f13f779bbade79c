// Command caddy is Caddy's own command with its standard modules, nothing added: the service
// that examples/caddy/caddy.goleak.yaml gates. pprof and expvar live on Caddy's admin API.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

func main() {
	caddycmd.Main()
}
