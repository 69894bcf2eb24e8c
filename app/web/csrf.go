package web

import (
	"crypto/hmac"
	"crypto/rand"
	"encoding/base64"
	"encoding/binary"
	"net/url"
	"time"

	"github.com/hafele-online/reset/app"
)

// CSRF tokens are stateless: expiry, nonce and an HMAC over both and the
// session they belong to. Any instance can check them, and a GET of a form
// page writes nothing. Fiber's csrf middleware keeps tokens in a storage
// (memory by default), which would tie a form to the instance that served
// it or write on every GET, so it is not used.
const (
	csrfField  = "_csrf"
	csrfHeader = "X-CSRF-Token"
	csrfTTL    = 12 * time.Hour
	csrfNonce  = 16
	csrfMAC    = 32
)

type csrfGuard struct {
	keys  *app.Keys
	clock app.Clock
}

// token returns a token bound to binding (the login session's cookie value,
// or "" for anonymous forms).
func (g csrfGuard) token(binding string) string {
	buf := make([]byte, 8+csrfNonce, 8+csrfNonce+csrfMAC)
	binary.BigEndian.PutUint64(buf, uint64(g.clock().Add(csrfTTL).Unix()))
	_, _ = rand.Read(buf[8:])
	buf = append(buf, g.mac(buf, binding)...)
	return base64.RawURLEncoding.EncodeToString(buf)
}

func (g csrfGuard) mac(head []byte, binding string) []byte {
	msg := make([]byte, 0, len(head)+1+len(binding))
	msg = append(msg, head...)
	msg = append(msg, 0)
	msg = append(msg, binding...)
	return g.keys.SignCSRF(msg)
}

// valid checks a token against binding.
func (g csrfGuard) valid(tok, binding string) bool {
	if len(tok) > 128 {
		return false
	}
	raw, err := base64.RawURLEncoding.DecodeString(tok)
	if err != nil || len(raw) != 8+csrfNonce+csrfMAC {
		return false
	}
	head, sum := raw[:8+csrfNonce], raw[8+csrfNonce:]
	if !hmac.Equal(sum, g.mac(head, binding)) {
		return false
	}
	exp := time.Unix(int64(binary.BigEndian.Uint64(head[:8])), 0)
	return g.clock().Before(exp)
}

// sameOrigin is the second layer: browsers send Origin on every cross-site
// POST and Sec-Fetch-Site on every request, so a request that says it comes
// from another site is refused even with a valid token. An origin is ours when it is BASE_URL's or names the host the request was
// sent to (any scheme: a TLS proxy may speak plain HTTP to us).
func sameOrigin(origin, fetchSite, host string, allowed map[string]bool) bool {
	switch fetchSite {
	case "", "same-origin", "none":
	default:
		return false
	}
	if origin == "" {
		return true
	}
	// Under Referrer-Policy: no-referrer, Chromium sends "Origin: null" on
	// a plain form POST to the same origin. Sec-Fetch-Site is set by the
	// browser itself and says where the request really comes from.
	if origin == "null" {
		return fetchSite == "same-origin"
	}
	u, err := url.Parse(origin)
	if err != nil || u.Host == "" {
		return false
	}
	return allowed[u.Scheme+"://"+u.Host] || (host != "" && u.Host == host)
}
