package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
)

// checkTargets refuses any target that is not loopback unless allowRemote:
// the host is resolved and every address must be a loopback address.
func checkTargets(ctx context.Context, targets []string, allowRemote bool, resolve func(ctx context.Context, host string) ([]net.IPAddr, error)) error {
	for _, t := range targets {
		u, err := url.Parse(t)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
			return fmt.Errorf("target %q: want http(s)://host:port", t)
		}
		if allowRemote {
			continue
		}
		if err := checkLoopback(ctx, u.Hostname(), resolve); err != nil {
			return fmt.Errorf("target %q: %w (pass --allow-remote to load a remote server)", t, err)
		}
	}
	return nil
}

func checkLoopback(ctx context.Context, host string, resolve func(ctx context.Context, host string) ([]net.IPAddr, error)) error {
	if ip := net.ParseIP(host); ip != nil {
		if !ip.IsLoopback() {
			return fmt.Errorf("%s is not a loopback address", host)
		}
		return nil
	}
	addrs, err := resolve(ctx, host)
	if err != nil {
		return fmt.Errorf("resolve %s: %w", host, err)
	}
	if len(addrs) == 0 {
		return fmt.Errorf("%s resolves to no address", host)
	}
	for _, a := range addrs {
		if !a.IP.IsLoopback() {
			return fmt.Errorf("%s resolves to %s, not a loopback address", host, a.IP)
		}
	}
	return nil
}
