package web

import (
	"net/netip"
	"strings"
)

// clientIP is the address limits and the audit log use: the connection's
// peer, unless that peer is a trusted proxy, in which case X-Forwarded-For
// is read from the right, skipping further trusted proxies. A client can
// prepend anything to the header, so the first untrusted hop from the right
// is the one to believe.
func clientIP(remote string, xff string, trusted []netip.Prefix) string {
	addr, err := netip.ParseAddr(remote)
	if err != nil {
		return remote
	}
	addr = addr.Unmap()
	if !isTrusted(addr, trusted) || xff == "" {
		return addr.String()
	}
	hops := strings.Split(xff, ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			// Garbage in the header: stop at the last address we could trust.
			return addr.String()
		}
		hop = hop.Unmap()
		if !isTrusted(hop, trusted) {
			return hop.String()
		}
		addr = hop
	}
	return addr.String()
}

func isTrusted(a netip.Addr, trusted []netip.Prefix) bool {
	for _, p := range trusted {
		if p.Contains(a) {
			return true
		}
	}
	return false
}
