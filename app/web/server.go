// Package web is the HTTP face of the service: Fiber handlers, middleware
// and the one render helper. Handlers parse, call a service, build a view
// model and render; the rules live in package app.
package web

import (
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/app/devmail"
	"github.com/hafele-online/reset/app/i18n"
	"github.com/hafele-online/reset/assets"
)

// Config is what the web layer needs from the configuration.
type Config struct {
	Production bool
	BaseURL    string
	// TrustedProxies are the networks whose X-Forwarded-For is believed.
	TrustedProxies []netip.Prefix
	// EmbedAllowedOrigins may embed the request form (CORS and frame-ancestors).
	EmbedAllowedOrigins []string
	PasswordMinLength   int
	// BodyLimit caps request bodies (413 past it).
	BodyLimit int
	// SecureCookies marks cookies Secure (always in production).
	SecureCookies bool
}

// Deps are the services the handlers call.
type Deps struct {
	Reset   *app.ResetService
	Auth    *app.AuthService
	Limiter app.Limiter
	Limits  app.Limits
	Store   app.Store
	Keys    *app.Keys
	Assets  *assets.Set
	Clock   app.Clock
	Logger  *slog.Logger
	// DevMail is the dev mailbox shown at /_dev/mail; nil outside development.
	DevMail *devmail.Mailbox
}

// server holds what the handlers share.
type server struct {
	cfg     Config
	deps    Deps
	text    *i18n.Text
	csrf    csrfGuard
	origins map[string]bool
	// embedAncestors is the frame-ancestors source list of the embed route.
	embedAncestors string
}

// Cookie names. In production the session cookie takes the __Host- prefix,
// which browsers only accept with Secure, Path=/ and no Domain.
const (
	sessionCookieDev  = "session"
	sessionCookieProd = "__Host-session"
	resetCookie       = "reset"
	resetCookiePath   = "/password/reset"
)

// New builds the Fiber app with every route and middleware.
func New(cfg Config, deps Deps) *fiber.App {
	if cfg.BodyLimit <= 0 {
		cfg.BodyLimit = 16 * 1024
	}
	if cfg.Production {
		cfg.SecureCookies = true
	}
	if deps.Logger == nil {
		deps.Logger = slog.Default()
	}
	text := i18n.Japanese()
	text.PasswordMinLength = cfg.PasswordMinLength
	s := &server{
		cfg:     cfg,
		deps:    deps,
		text:    text,
		csrf:    csrfGuard{keys: deps.Keys, clock: deps.Clock},
		origins: map[string]bool{},
	}
	if u, err := url.Parse(cfg.BaseURL); err == nil && u.Host != "" {
		s.origins[u.Scheme+"://"+u.Host] = true
	}
	ancestors := append([]string{"'self'"}, cfg.EmbedAllowedOrigins...)
	s.embedAncestors = strings.Join(ancestors, " ")

	f := fiber.New(fiber.Config{
		AppName:               "hafele-reset",
		BodyLimit:             cfg.BodyLimit,
		ErrorHandler:          s.handleError,
		DisableStartupMessage: true,
		ReadTimeout:           15 * time.Second,
		WriteTimeout:          15 * time.Second,
		IdleTimeout:           60 * time.Second,
		ReadBufferSize:        16384,
		// Only GET, HEAD and POST are served; anything else is 405.
		RequestMethods: []string{fiber.MethodGet, fiber.MethodHead, fiber.MethodPost, fiber.MethodOptions,
			fiber.MethodPut, fiber.MethodPatch, fiber.MethodDelete},
	})
	s.routes(f)
	return f
}
