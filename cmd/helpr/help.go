package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
)

// flagGroups sorts the flags of `helpr serve` for --help, in the order
// shown. It is the one place a new flag gets its group: a test fails when a
// flag of serveFlagSet is in no group, or in two.
var flagGroups = []struct {
	title string
	flags []string
}{
	{"Network", []string{"addr", "public-url", "tls-cert", "tls-key", "trusted-proxies"}},
	{"Storage and secrets", []string{"data-dir", "store", "mongo-uri", "mongo-db", "keyring-file"}},
	{"Cluster", []string{"redis-url", "node-id"}},
	{"Security and limits", []string{"ws-frame-rate", "ws-frame-burst", "visitor-sessions-per-ip", "visitor-sessions-per-widget", "conversations-per-visitor", "agent-creations-per-org", "api-user-rpm", "ws-conns-per-ip", "ws-conns-per-subject", "no-auth-rate-limits", "load-test-agent-passwords", "dev", "geoip-city-db", "geoip-asn-db"}},
	{"Email", []string{"smtp-url", "mail-from", "smtp-ca-file"}},
	{"Webhooks", []string{"webhook-allow-hosts"}},
	{"Logging", []string{"log-format", "log-level"}},
	{"Operations and testing", []string{"shutdown-timeout", "pid-file", "pprof-addr", "metrics-addr", "metrics-token-file"}},
}

const serveHelpIntro = `Usage: helpr serve [flags]

Every flag can also be set by its environment variable; a flag given on the
command line wins. HELPR_KEYRING may hold the encryption keyring JSON itself.
`

// writeServeHelp prints the flags of `helpr serve` by group, each with its
// environment variable and default.
func writeServeHelp(w io.Writer) {
	fs := serveFlagSet(&Config{})
	width := 0
	fs.VisitAll(func(f *flag.Flag) { width = max(width, len(flagSynopsis(f))) })
	fmt.Fprint(w, serveHelpIntro)
	for _, g := range flagGroups {
		fmt.Fprintf(w, "\n%s:\n", g.title)
		for _, name := range g.flags {
			f := fs.Lookup(name)
			_, usage := flag.UnquoteUsage(f)
			fmt.Fprintf(w, "  %-*s  %s\n", width, flagSynopsis(f), usage)
			fmt.Fprintf(w, "  %-*s  %s\n", width, "", flagSource(f))
		}
	}
}

// flagSynopsis is "--name type", e.g. "--addr host:port".
func flagSynopsis(f *flag.Flag) string {
	typ, _ := flag.UnquoteUsage(f)
	return strings.TrimSpace("--" + f.Name + " " + typ)
}

// flagSource is "env HELPR_NAME, default D" (no default when there is none).
func flagSource(f *flag.Flag) string {
	def := f.DefValue
	if d, ok := derivedDefaults[f.Name]; ok {
		def = d
	}
	if def == "" {
		return "env " + envName(f.Name)
	}
	return "env " + envName(f.Name) + ", default " + def
}
