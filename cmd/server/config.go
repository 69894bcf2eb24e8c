package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/mail"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/hafele-online/reset/app"
)

// Environments.
const (
	envDevelopment = "development"
	envProduction  = "production"
)

// Mail drivers.
const (
	mailDriverDev     = "dev"
	mailDriverMailgun = "mailgun"
)

// devSecretFile keeps the generated development secret, so sessions, CSRF
// tokens and sealed outbox payloads survive a restart.
const devSecretFile = "data/secret.key"

// Bounds of the configurable values.
const (
	minTokenTTL          = time.Hour
	maxTokenTTL          = 72 * time.Hour
	maxPasswordMinLength = 64
)

// Config is the whole configuration, read once from the environment by run.
type Config struct {
	Env        string
	Production bool
	ListenAddr string
	BaseURL    string
	// DatabaseURL is sqlite:PATH or mysql://user:pass@host:3306/db?params.
	DatabaseURL string
	SecretKey   []byte
	// SecretSource says where SecretKey came from ("SECRET_KEY", or the dev
	// file path and whether it was just generated), for the start-up log.
	SecretSource        string
	TrustedProxies      []netip.Prefix
	MailDriver          string
	Mailgun             MailgunConfig
	MailFrom            string
	ResetTokenTTL       time.Duration
	EmbedAllowedOrigins []string
	PasswordMinLength   int
	Limits              app.Limits
}

// MailgunConfig is the Mailgun driver's settings.
type MailgunConfig struct {
	Domain            string
	APIKey            string
	APIBase           string
	WebhookSigningKey string
}

// limitVars maps each rate-limit variable to the limit it sets. Values are
// "N/duration" (e.g. "20/10m"); "off" or "0/…" switches the limit off.
func limitVars(l *app.Limits) []struct {
	name string
	lim  *app.Limit
} {
	return []struct {
		name string
		lim  *app.Limit
	}{
		{"RATE_FORGOT_PER_IP", &l.ForgotPerIP},
		{"RATE_LOGIN_PER_IP", &l.LoginPerIP},
		{"RATE_VALIDATE_PER_IP", &l.ValidatePerIP},
		{"RATE_RESET_PER_IP", &l.ResetPerIP},
		{"RATE_MAILS_PER_CUSTOMER", &l.MailsPerCustomer},
		{"RATE_MAILS_PER_EMAIL", &l.MailsPerEmail},
		{"RATE_LOGIN_PER_EMAIL", &l.LoginPerEmail},
	}
}

// ConfigError lists every problem found in the environment, one per line,
// each naming its variable, so an operator fixes them all in one go.
type ConfigError struct{ Problems []string }

func (e *ConfigError) Error() string {
	return "configuration:\n  " + strings.Join(e.Problems, "\n  ")
}

// problems collects configuration errors.
type problems []string

func (p *problems) add(name, format string, args ...any) {
	*p = append(*p, name+": "+fmt.Sprintf(format, args...))
}

// loadConfig reads and checks the configuration. In development, when
// SECRET_KEY is unset, it creates (or reuses) ./data/secret.key.
func loadConfig(getenv func(string) string) (Config, error) {
	var p problems
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}

	cfg := Config{
		Env:         get("APP_ENV", envDevelopment),
		ListenAddr:  get("LISTEN_ADDR", ":8080"),
		BaseURL:     strings.TrimRight(get("BASE_URL", "http://localhost:8080"), "/"),
		DatabaseURL: get("DATABASE_URL", "sqlite:data/app.db"),
		MailDriver:  get("MAIL_DRIVER", mailDriverDev),
		Mailgun: MailgunConfig{
			Domain:            get("MAILGUN_DOMAIN", ""),
			APIKey:            get("MAILGUN_API_KEY", ""),
			APIBase:           strings.TrimRight(get("MAILGUN_API_BASE", ""), "/"),
			WebhookSigningKey: get("MAILGUN_WEBHOOK_SIGNING_KEY", ""),
		},
		Limits: app.DefaultLimits(),
	}

	switch cfg.Env {
	case envDevelopment:
	case envProduction:
		cfg.Production = true
	default:
		p.add("APP_ENV", "unknown environment %q (want development or production)", cfg.Env)
	}

	if _, _, err := net.SplitHostPort(cfg.ListenAddr); err != nil {
		p.add("LISTEN_ADDR", "%q is not host:port (e.g. :8080): %v", cfg.ListenAddr, err)
	}

	checkBaseURL(&p, cfg.BaseURL, cfg.Production)
	checkDatabaseURL(&p, cfg.DatabaseURL)
	cfg.SecretKey, cfg.SecretSource = loadSecret(&p, getenv("SECRET_KEY"), cfg.Env)
	cfg.TrustedProxies = parseProxies(&p, getenv("TRUSTED_PROXIES"))
	checkMail(&p, &cfg)
	cfg.MailFrom = parseMailFrom(&p, getenv("MAIL_FROM"), cfg.Production)

	cfg.ResetTokenTTL = 24 * time.Hour
	if v := get("RESET_TOKEN_TTL", ""); v != "" {
		d, err := time.ParseDuration(v)
		switch {
		case err != nil:
			p.add("RESET_TOKEN_TTL", "%q is not a duration (e.g. 24h)", v)
		case d < minTokenTTL || d > maxTokenTTL:
			p.add("RESET_TOKEN_TTL", "%s is out of range (between %s and %s)", d, minTokenTTL, maxTokenTTL)
		case d%time.Hour != 0:
			// The email states the lifetime in hours; it must be exact.
			p.add("RESET_TOKEN_TTL", "%s is not a whole number of hours (e.g. 24h)", d)
		default:
			cfg.ResetTokenTTL = d
		}
	}

	cfg.EmbedAllowedOrigins = parseOrigins(&p, getenv("EMBED_ALLOWED_ORIGINS"), cfg.Production)

	cfg.PasswordMinLength = app.DefaultPasswordMinLength
	if v := get("PASSWORD_MIN_LENGTH", ""); v != "" {
		n, err := strconv.Atoi(v)
		switch {
		case err != nil:
			p.add("PASSWORD_MIN_LENGTH", "%q is not a whole number", v)
		case n < app.DefaultPasswordMinLength || n > maxPasswordMinLength:
			p.add("PASSWORD_MIN_LENGTH", "%d is out of range (between %d and %d)", n, app.DefaultPasswordMinLength, maxPasswordMinLength)
		default:
			cfg.PasswordMinLength = n
		}
	}

	for _, lv := range limitVars(&cfg.Limits) {
		v := get(lv.name, "")
		if v == "" {
			continue
		}
		lim, err := parseLimit(v)
		if err != nil {
			p.add(lv.name, "%v", err)
			continue
		}
		*lv.lim = lim
	}

	if len(p) > 0 {
		return Config{}, &ConfigError{Problems: p}
	}
	return cfg, nil
}

// checkBaseURL accepts an absolute http(s) origin. A path is refused because
// every route and redirect of the app is rooted at "/".
func checkBaseURL(p *problems, raw string, production bool) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		p.add("BASE_URL", "%q is not an absolute http(s) URL (e.g. https://reset.example.co.jp)", raw)
		return
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		p.add("BASE_URL", "%q must be scheme://host[:port] only, without path, query or user", raw)
	}
	if production && u.Scheme != "https" {
		p.add("BASE_URL", "must be https in production, got %q", raw)
	}
}

// checkDatabaseURL only checks the form; the db package parses the rest
// when it opens the database.
func checkDatabaseURL(p *problems, raw string) {
	switch {
	case strings.HasPrefix(raw, "sqlite:") && len(raw) > len("sqlite:"):
	case strings.HasPrefix(raw, "mysql://"):
	default:
		p.add("DATABASE_URL", "want sqlite:PATH or mysql://user:pass@host:3306/db")
	}
}

// loadSecret returns the server secret. The value is used as given (its
// bytes, not decoded), so the dev file's content can be copied into
// SECRET_KEY and yields the same keys.
func loadSecret(p *problems, raw, env string) ([]byte, string) {
	if raw != "" {
		if len(raw) < app.MinSecretLen {
			p.add("SECRET_KEY", "too short: %d bytes, need at least %d (e.g. openssl rand -hex 32)", len(raw), app.MinSecretLen)
			return nil, ""
		}
		return []byte(raw), "SECRET_KEY"
	}
	if env != envDevelopment {
		if env == envProduction {
			p.add("SECRET_KEY", "required in production (at least %d bytes)", app.MinSecretLen)
		}
		return nil, ""
	}
	secret, created, err := devSecret(devSecretFile)
	if err != nil {
		p.add("SECRET_KEY", "unset, and the development secret could not be kept: %v", err)
		return nil, ""
	}
	if created {
		return secret, devSecretFile + " (generated)"
	}
	return secret, devSecretFile
}

// devSecret reads path, or creates it with 32 random bytes, hex-encoded,
// readable by the owner only.
func devSecret(path string) ([]byte, bool, error) {
	b, err := os.ReadFile(path)
	if err == nil {
		s := strings.TrimSpace(string(b))
		if len(s) < app.MinSecretLen {
			return nil, false, fmt.Errorf("%s holds %d bytes, need at least %d (delete it to generate a new one)", path, len(s), app.MinSecretLen)
		}
		return []byte(s), false, nil
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
		return nil, false, err
	}
	raw := make([]byte, 32)
	if _, err := rand.Read(raw); err != nil {
		return nil, false, err
	}
	secret := hex.EncodeToString(raw)
	// O_EXCL: two processes starting at once must not each write their own.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return devSecret(path)
	}
	if err != nil {
		return nil, false, err
	}
	if _, err := f.WriteString(secret + "\n"); err != nil {
		_ = f.Close()
		return nil, false, err
	}
	if err := f.Close(); err != nil {
		return nil, false, err
	}
	return []byte(secret), true, nil
}

// parseProxies reads comma-separated CIDRs; a bare address is one host.
func parseProxies(p *problems, raw string) []netip.Prefix {
	var out []netip.Prefix
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		if strings.Contains(item, "/") {
			pfx, err := netip.ParsePrefix(item)
			if err != nil {
				p.add("TRUSTED_PROXIES", "%q is not a CIDR (e.g. 10.0.0.0/8)", item)
				continue
			}
			out = append(out, pfx.Masked())
			continue
		}
		addr, err := netip.ParseAddr(item)
		if err != nil {
			p.add("TRUSTED_PROXIES", "%q is neither a CIDR nor an IP address", item)
			continue
		}
		addr = addr.Unmap()
		out = append(out, netip.PrefixFrom(addr, addr.BitLen()))
	}
	return out
}

func checkMail(p *problems, cfg *Config) {
	switch cfg.MailDriver {
	case mailDriverDev:
		if cfg.Production {
			p.add("MAIL_DRIVER", "the dev driver only keeps mail in memory and is refused in production; set MAIL_DRIVER=mailgun")
		}
	case mailDriverMailgun:
		if cfg.Mailgun.Domain == "" {
			p.add("MAILGUN_DOMAIN", "required with MAIL_DRIVER=mailgun")
		}
		if cfg.Mailgun.APIKey == "" {
			p.add("MAILGUN_API_KEY", "required with MAIL_DRIVER=mailgun")
		}
	default:
		p.add("MAIL_DRIVER", "unknown driver %q (want dev or mailgun)", cfg.MailDriver)
	}
	if cfg.Production && cfg.MailDriver != mailDriverMailgun {
		// The dev driver is refused above; name the missing settings too, so
		// one start reports everything to fill in.
		if cfg.Mailgun.Domain == "" {
			p.add("MAILGUN_DOMAIN", "required in production")
		}
		if cfg.Mailgun.APIKey == "" {
			p.add("MAILGUN_API_KEY", "required in production")
		}
	}
	if b := cfg.Mailgun.APIBase; b != "" {
		u, err := url.Parse(b)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			p.add("MAILGUN_API_BASE", "%q is not an http(s) URL (e.g. https://api.eu.mailgun.net)", b)
		}
	}
}

// parseMailFrom checks the From header value. It comes from configuration,
// never from input, but a CR or LF would still let it forge headers.
func parseMailFrom(p *problems, raw string, production bool) string {
	if strings.ContainsAny(raw, "\r\n") {
		p.add("MAIL_FROM", "must not contain CR or LF")
		return ""
	}
	raw = strings.TrimSpace(raw)
	if raw == "" {
		if production {
			p.add("MAIL_FROM", "required in production (e.g. ハーフェレオンライン <noreply@example.co.jp>)")
			return ""
		}
		return "ハーフェレオンライン <noreply@localhost>"
	}
	if _, err := mail.ParseAddress(raw); err != nil {
		p.add("MAIL_FROM", "%q is not an address (e.g. ハーフェレオンライン <noreply@example.co.jp>): %v", raw, err)
		return ""
	}
	return raw
}

// parseOrigins reads comma-separated origins (scheme://host[:port]) and
// returns them in canonical lower-case form, as browsers send them.
func parseOrigins(p *problems, raw string, production bool) []string {
	var out []string
	for item := range strings.SplitSeq(raw, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		u, err := url.Parse(item)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil || u.Opaque != "" {
			p.add("EMBED_ALLOWED_ORIGINS", "%q is not an origin (want scheme://host[:port], no path)", item)
			continue
		}
		// A page served over http can be altered in transit; in production
		// only https pages may embed the form.
		if production && u.Scheme != "https" {
			p.add("EMBED_ALLOWED_ORIGINS", "%q must be https in production", item)
			continue
		}
		out = append(out, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	return out
}

// parseLimit reads "N/duration" ("20/10m", "3/1h"); "off" switches the
// limit off, as does N=0.
func parseLimit(raw string) (app.Limit, error) {
	if strings.EqualFold(raw, "off") {
		return app.Limit{}, nil
	}
	n, d, ok := strings.Cut(raw, "/")
	if !ok {
		return app.Limit{}, fmt.Errorf("%q: want N/duration, e.g. 20/10m, or off", raw)
	}
	count, err := strconv.Atoi(strings.TrimSpace(n))
	if err != nil || count < 0 {
		return app.Limit{}, fmt.Errorf("%q: %q is not a count (0 or more)", raw, n)
	}
	window, err := time.ParseDuration(strings.TrimSpace(d))
	if err != nil || window <= 0 {
		return app.Limit{}, fmt.Errorf("%q: %q is not a positive duration (e.g. 10m, 1h)", raw, d)
	}
	if count == 0 {
		return app.Limit{}, nil
	}
	return app.Limit{Max: count, Window: window}, nil
}
