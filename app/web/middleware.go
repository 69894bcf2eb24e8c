package web

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/helmet"

	"github.com/hafele-online/reset/app"
)

// contentSecurityPolicy allows scripts and styles from this origin only: no
// inline script or style, no eval. htmx is configured (meta htmx-config) so
// it adds no stylesheet of its own; app.js is an external file.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'; frame-src 'self'"

func (s *server) helmetConfig() helmet.Config {
	return helmet.Config{
		XSSProtection:             "0",
		ContentTypeNosniff:        "nosniff",
		XFrameOptions:             "DENY",
		ReferrerPolicy:            "no-referrer",
		CrossOriginEmbedderPolicy: "require-corp",
		CrossOriginOpenerPolicy:   "same-origin",
		CrossOriginResourcePolicy: "same-origin",
		OriginAgentCluster:        "?1",
		XDNSPrefetchControl:       "off",
		XDownloadOptions:          "noopen",
		XPermittedCrossDomain:     "none",
		ContentSecurityPolicy:     contentSecurityPolicy,
		PermissionPolicy:          "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
	}
}

// extraHeaders adds what helmet does not: HSTS in production whatever the
// scheme the proxy spoke to us, and Vary on HX-Request (one URL answers
// with a page or a fragment).
func (s *server) extraHeaders(c *fiber.Ctx) error {
	if s.cfg.Production {
		c.Set(fiber.HeaderStrictTransportSecurity, "max-age=63072000; includeSubDomains")
	}
	c.Vary("HX-Request")
	return c.Next()
}

const localsClient = "client"

// clientInfo works out who is asking, once per request.
func (s *server) clientInfo(c *fiber.Ctx) error {
	ua := c.Get(fiber.HeaderUserAgent)
	if len(ua) > 255 {
		ua = ua[:255]
	}
	ip := clientIP(c.Context().RemoteIP().String(), c.Get(fiber.HeaderXForwardedFor), s.cfg.TrustedProxies)
	c.Locals(localsClient, app.Client{IP: ip, UserAgent: strings.ToValidUTF8(ua, "")})
	return c.Next()
}

func client(c *fiber.Ctx) app.Client {
	cl, _ := c.Locals(localsClient).(app.Client)
	return cl
}

func isUnsafe(method string) bool {
	switch method {
	case fiber.MethodGet, fiber.MethodHead, fiber.MethodOptions:
		return false
	}
	return true
}

// checkCSRF refuses every state-changing request without a valid token (in
// the form or the X-CSRF-Token header) or from another site: 403, nothing
// changed.
func (s *server) checkCSRF(c *fiber.Ctx) error {
	if !isUnsafe(c.Method()) {
		return c.Next()
	}
	if !sameOrigin(c.Get("Origin"), c.Get("Sec-Fetch-Site"), c.Hostname(), s.origins) {
		return fiber.ErrForbidden
	}
	tok := c.Get(csrfHeader)
	if tok == "" {
		tok = c.FormValue(csrfField)
	}
	if !s.csrf.valid(tok, s.csrfBinding(c)) {
		return fiber.ErrForbidden
	}
	return c.Next()
}

// csrfBinding ties tokens of logged-in pages to the session cookie.
func (s *server) csrfBinding(c *fiber.Ctx) string {
	return c.Cookies(s.sessionCookie())
}

func (s *server) csrfToken(c *fiber.Ctx) string { return s.csrf.token(s.csrfBinding(c)) }

// limit applies a per-IP rate limit, shared by every instance through the
// database. Past it: a 429 page with Retry-After that names no account.
func (s *server) limit(lim app.Limit, name string) fiber.Handler {
	return func(c *fiber.Ctx) error {
		cl := client(c)
		ok, retry, err := s.deps.Limiter.Allow(c.UserContext(), "ip:"+name+":"+cl.IP, lim)
		if err != nil {
			return err
		}
		if ok {
			return c.Next()
		}
		secs := int((retry + time.Second - 1) / time.Second)
		if secs < 1 {
			secs = 1
		}
		c.Set(fiber.HeaderRetryAfter, strconv.Itoa(secs))
		if err := s.deps.Store.RecordAudit(c.UserContext(), &app.AuditEvent{At: s.deps.Clock(),
			Kind: app.AuditRateLimited, Detail: name, IP: cl.IP, UserAgent: cl.UserAgent}); err != nil {
			s.deps.Logger.Error("audit rate limit", "err", err)
		}
		return fiber.ErrTooManyRequests
	}
}

// accessLog writes one line per request. Fiber's logger middleware would
// print the raw path, which for an emailed link holds the reset token; this
// one redacts it.
func (s *server) accessLog(c *fiber.Ctx) error {
	start := time.Now()
	err := c.Next()
	status := c.Response().StatusCode()
	if err != nil {
		var fe *fiber.Error
		if errors.As(err, &fe) {
			status = fe.Code
		} else {
			status = fiber.StatusInternalServerError
		}
	}
	if !isAssetPath(c.Path()) {
		s.deps.Logger.Info("request", "method", c.Method(), "path", safePath(c.Path()), "status", status,
			"duration", time.Since(start).Round(time.Microsecond), "ip", client(c).IP)
	}
	return err
}
