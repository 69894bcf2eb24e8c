package main

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/hafele-online/reset/app"
)

// mapEnv is a getenv backed by a map.
func mapEnv(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

const testSecret = "0123456789abcdef0123456789abcdef" // 32 bytes

// devEnv is a valid development environment. SECRET_KEY is set so the
// tests never write ./data/secret.key into the package directory.
func devEnv() map[string]string {
	return map[string]string{"SECRET_KEY": testSecret}
}

// prodEnv is a valid production environment.
func prodEnv() map[string]string {
	return map[string]string{
		"APP_ENV":         "production",
		"SECRET_KEY":      testSecret,
		"BASE_URL":        "https://reset.example.co.jp",
		"MAIL_DRIVER":     "mailgun",
		"MAILGUN_DOMAIN":  "mg.example.co.jp",
		"MAILGUN_API_KEY": "key-test",
		"MAIL_FROM":       "ハーフェレオンライン <noreply@example.co.jp>",
	}
}

func TestLoadConfigDefaults(t *testing.T) {
	cfg, err := loadConfig(mapEnv(devEnv()))
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	checks := []struct {
		name      string
		got, want any
	}{
		{"Env", cfg.Env, "development"},
		{"Production", cfg.Production, false},
		{"ListenAddr", cfg.ListenAddr, ":8080"},
		{"BaseURL", cfg.BaseURL, "http://localhost:8080"},
		{"DatabaseURL", cfg.DatabaseURL, "sqlite:data/app.db"},
		{"MailDriver", cfg.MailDriver, "dev"},
		{"MailFrom", cfg.MailFrom, "ハーフェレオンライン <noreply@localhost>"},
		{"ResetTokenTTL", cfg.ResetTokenTTL, 24 * time.Hour},
		{"PasswordMinLength", cfg.PasswordMinLength, 8},
		{"Limits", cfg.Limits, app.DefaultLimits()},
		{"SecretKey", string(cfg.SecretKey), testSecret},
		{"TrustedProxies", len(cfg.TrustedProxies), 0},
		{"EmbedAllowedOrigins", len(cfg.EmbedAllowedOrigins), 0},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %v; want %v", c.name, c.got, c.want)
		}
	}
}

func TestLoadConfig(t *testing.T) {
	tests := []struct {
		name string
		base func() map[string]string
		set  map[string]string
		del  []string
		// wantErr lists substrings that must all appear in the error; empty
		// means the configuration is valid.
		wantErr []string
		check   func(t *testing.T, cfg Config)
	}{
		{name: "production valid", base: prodEnv, check: func(t *testing.T, cfg Config) {
			if !cfg.Production || cfg.MailDriver != "mailgun" || cfg.Mailgun.Domain != "mg.example.co.jp" {
				t.Errorf("got %+v", cfg)
			}
		}},
		{name: "unknown APP_ENV", base: devEnv, set: map[string]string{"APP_ENV": "staging"},
			wantErr: []string{`APP_ENV: unknown environment "staging"`}},
		{name: "production without SECRET_KEY", base: prodEnv, del: []string{"SECRET_KEY"},
			wantErr: []string{"SECRET_KEY: required in production (at least 32 bytes)"}},
		{name: "production short SECRET_KEY", base: prodEnv, set: map[string]string{"SECRET_KEY": "short"},
			wantErr: []string{"SECRET_KEY: too short: 5 bytes"}},
		{name: "development short SECRET_KEY", base: devEnv, set: map[string]string{"SECRET_KEY": strings.Repeat("x", 31)},
			wantErr: []string{"SECRET_KEY: too short: 31 bytes"}},
		{name: "production dev mail driver", base: prodEnv, set: map[string]string{"MAIL_DRIVER": "dev"},
			wantErr: []string{"MAIL_DRIVER: the dev driver"}},
		{name: "production default mail driver", base: prodEnv, del: []string{"MAIL_DRIVER", "MAILGUN_DOMAIN", "MAILGUN_API_KEY"},
			wantErr: []string{"MAIL_DRIVER:", "MAILGUN_DOMAIN: required in production", "MAILGUN_API_KEY: required in production"}},
		{name: "production missing MAILGUN_DOMAIN", base: prodEnv, del: []string{"MAILGUN_DOMAIN"},
			wantErr: []string{"MAILGUN_DOMAIN: required"}},
		{name: "production missing MAILGUN_API_KEY", base: prodEnv, del: []string{"MAILGUN_API_KEY"},
			wantErr: []string{"MAILGUN_API_KEY: required"}},
		{name: "development mailgun missing settings", base: devEnv, set: map[string]string{"MAIL_DRIVER": "mailgun"},
			wantErr: []string{"MAILGUN_DOMAIN: required with MAIL_DRIVER=mailgun", "MAILGUN_API_KEY: required with MAIL_DRIVER=mailgun"}},
		{name: "unknown MAIL_DRIVER", base: devEnv, set: map[string]string{"MAIL_DRIVER": "smtp"},
			wantErr: []string{`MAIL_DRIVER: unknown driver "smtp"`}},
		{name: "bad MAILGUN_API_BASE", base: prodEnv, set: map[string]string{"MAILGUN_API_BASE": "api.eu.mailgun.net"},
			wantErr: []string{"MAILGUN_API_BASE:"}},
		{name: "MAILGUN_API_BASE and webhook key", base: prodEnv,
			set: map[string]string{"MAILGUN_API_BASE": "https://api.eu.mailgun.net/", "MAILGUN_WEBHOOK_SIGNING_KEY": "whk"},
			check: func(t *testing.T, cfg Config) {
				if cfg.Mailgun.APIBase != "https://api.eu.mailgun.net" || cfg.Mailgun.WebhookSigningKey != "whk" {
					t.Errorf("Mailgun = %+v", cfg.Mailgun)
				}
			}},
		{name: "production missing MAIL_FROM", base: prodEnv, del: []string{"MAIL_FROM"},
			wantErr: []string{"MAIL_FROM: required in production"}},
		{name: "MAIL_FROM with CRLF", base: devEnv, set: map[string]string{"MAIL_FROM": "a@example.co.jp\r\nBcc: x@evil.example"},
			wantErr: []string{"MAIL_FROM: must not contain CR or LF"}},
		{name: "MAIL_FROM with LF", base: devEnv, set: map[string]string{"MAIL_FROM": "a@example.co.jp\nBcc: x@evil.example"},
			wantErr: []string{"MAIL_FROM: must not contain CR or LF"}},
		{name: "MAIL_FROM not an address", base: devEnv, set: map[string]string{"MAIL_FROM": "noreply"},
			wantErr: []string{"MAIL_FROM:"}},
		{name: "production http BASE_URL", base: prodEnv, set: map[string]string{"BASE_URL": "http://reset.example.co.jp"},
			wantErr: []string{"BASE_URL: must be https in production"}},
		{name: "BASE_URL not absolute", base: devEnv, set: map[string]string{"BASE_URL": "localhost:8080"},
			wantErr: []string{"BASE_URL:"}},
		{name: "BASE_URL with path", base: devEnv, set: map[string]string{"BASE_URL": "http://localhost:8080/reset"},
			wantErr: []string{"BASE_URL:", "without path"}},
		{name: "BASE_URL trailing slash trimmed", base: devEnv, set: map[string]string{"BASE_URL": "http://localhost:9000/"},
			check: func(t *testing.T, cfg Config) {
				if cfg.BaseURL != "http://localhost:9000" {
					t.Errorf("BaseURL = %q", cfg.BaseURL)
				}
			}},
		{name: "bad LISTEN_ADDR", base: devEnv, set: map[string]string{"LISTEN_ADDR": "8080"},
			wantErr: []string{"LISTEN_ADDR:"}},
		{name: "bad DATABASE_URL", base: devEnv, set: map[string]string{"DATABASE_URL": "postgres://x"},
			wantErr: []string{"DATABASE_URL:"}},
		{name: "mysql DATABASE_URL", base: devEnv, set: map[string]string{"DATABASE_URL": "mysql://u:p@db:3306/reset"},
			check: func(t *testing.T, cfg Config) {
				if cfg.DatabaseURL != "mysql://u:p@db:3306/reset" {
					t.Errorf("DatabaseURL = %q", cfg.DatabaseURL)
				}
			}},
		{name: "TRUSTED_PROXIES", base: devEnv, set: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.168.1.7 ,::1, 172.16.5.4/12"},
			check: func(t *testing.T, cfg Config) {
				want := []netip.Prefix{
					netip.MustParsePrefix("10.0.0.0/8"),
					netip.MustParsePrefix("192.168.1.7/32"),
					netip.MustParsePrefix("::1/128"),
					netip.MustParsePrefix("172.16.0.0/12"),
				}
				if !slices.Equal(cfg.TrustedProxies, want) {
					t.Errorf("TrustedProxies = %v; want %v", cfg.TrustedProxies, want)
				}
			}},
		{name: "bad TRUSTED_PROXIES", base: devEnv, set: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/33,proxy.local"},
			wantErr: []string{`TRUSTED_PROXIES: "10.0.0.0/33"`, `TRUSTED_PROXIES: "proxy.local"`}},
		{name: "RESET_TOKEN_TTL", base: devEnv, set: map[string]string{"RESET_TOKEN_TTL": "2h"},
			check: func(t *testing.T, cfg Config) {
				if cfg.ResetTokenTTL != 2*time.Hour {
					t.Errorf("ResetTokenTTL = %v", cfg.ResetTokenTTL)
				}
			}},
		{name: "RESET_TOKEN_TTL bounds ok", base: devEnv, set: map[string]string{"RESET_TOKEN_TTL": "72h"}},
		{name: "RESET_TOKEN_TTL too short", base: devEnv, set: map[string]string{"RESET_TOKEN_TTL": "4m"},
			wantErr: []string{"RESET_TOKEN_TTL: 4m0s is out of range"}},
		{name: "RESET_TOKEN_TTL not whole hours", base: devEnv, set: map[string]string{"RESET_TOKEN_TTL": "90m"},
			wantErr: []string{"RESET_TOKEN_TTL: 1h30m0s is not a whole number of hours"}},
		{name: "RESET_TOKEN_TTL too long", base: devEnv, set: map[string]string{"RESET_TOKEN_TTL": "73h"},
			wantErr: []string{"RESET_TOKEN_TTL: 73h0m0s is out of range"}},
		{name: "RESET_TOKEN_TTL not a duration", base: devEnv, set: map[string]string{"RESET_TOKEN_TTL": "24"},
			wantErr: []string{`RESET_TOKEN_TTL: "24" is not a duration`}},
		{name: "EMBED_ALLOWED_ORIGINS", base: devEnv, set: map[string]string{"EMBED_ALLOWED_ORIGINS": "https://www.Hafele.co.jp, http://localhost:3000"},
			check: func(t *testing.T, cfg Config) {
				want := []string{"https://www.hafele.co.jp", "http://localhost:3000"}
				if !slices.Equal(cfg.EmbedAllowedOrigins, want) {
					t.Errorf("EmbedAllowedOrigins = %q; want %q", cfg.EmbedAllowedOrigins, want)
				}
			}},
		{name: "EMBED_ALLOWED_ORIGINS with path", base: devEnv, set: map[string]string{"EMBED_ALLOWED_ORIGINS": "https://cms.example.co.jp/page"},
			wantErr: []string{`EMBED_ALLOWED_ORIGINS: "https://cms.example.co.jp/page" is not an origin`}},
		{name: "EMBED_ALLOWED_ORIGINS without scheme", base: devEnv, set: map[string]string{"EMBED_ALLOWED_ORIGINS": "cms.example.co.jp"},
			wantErr: []string{`EMBED_ALLOWED_ORIGINS: "cms.example.co.jp" is not an origin`}},
		{name: "EMBED_ALLOWED_ORIGINS http in production", base: prodEnv, set: map[string]string{"EMBED_ALLOWED_ORIGINS": "http://cms.example.co.jp"},
			wantErr: []string{"EMBED_ALLOWED_ORIGINS:", "must be https in production"}},
		{name: "PASSWORD_MIN_LENGTH", base: devEnv, set: map[string]string{"PASSWORD_MIN_LENGTH": "15"},
			check: func(t *testing.T, cfg Config) {
				if cfg.PasswordMinLength != 15 {
					t.Errorf("PasswordMinLength = %d", cfg.PasswordMinLength)
				}
			}},
		{name: "PASSWORD_MIN_LENGTH too small", base: devEnv, set: map[string]string{"PASSWORD_MIN_LENGTH": "7"},
			wantErr: []string{"PASSWORD_MIN_LENGTH: 7 is out of range"}},
		{name: "PASSWORD_MIN_LENGTH too large", base: devEnv, set: map[string]string{"PASSWORD_MIN_LENGTH": "65"},
			wantErr: []string{"PASSWORD_MIN_LENGTH: 65 is out of range"}},
		{name: "PASSWORD_MIN_LENGTH not a number", base: devEnv, set: map[string]string{"PASSWORD_MIN_LENGTH": "eight"},
			wantErr: []string{`PASSWORD_MIN_LENGTH: "eight" is not a whole number`}},
		{name: "rate limits", base: devEnv, set: map[string]string{
			"RATE_FORGOT_PER_IP": "5/1m", "RATE_LOGIN_PER_IP": "off", "RATE_MAILS_PER_CUSTOMER": "10/24h",
			"RATE_MAILS_PER_EMAIL": "0/1h", "RATE_LOGIN_PER_EMAIL": "7/30m", "RATE_VALIDATE_PER_IP": "100/1m", "RATE_RESET_PER_IP": "9/9m",
		}, check: func(t *testing.T, cfg Config) {
			want := app.Limits{
				ForgotPerIP:      app.Limit{Max: 5, Window: time.Minute},
				LoginPerIP:       app.Limit{},
				ValidatePerIP:    app.Limit{Max: 100, Window: time.Minute},
				ResetPerIP:       app.Limit{Max: 9, Window: 9 * time.Minute},
				MailsPerCustomer: app.Limit{Max: 10, Window: 24 * time.Hour},
				MailsPerEmail:    app.Limit{},
				LoginPerEmail:    app.Limit{Max: 7, Window: 30 * time.Minute},
			}
			if cfg.Limits != want {
				t.Errorf("Limits = %+v; want %+v", cfg.Limits, want)
			}
		}},
		{name: "bad rate limits", base: devEnv, set: map[string]string{
			"RATE_FORGOT_PER_IP": "20", "RATE_MAILS_PER_CUSTOMER": "x/1h", "RATE_MAILS_PER_EMAIL": "3/soon", "RATE_LOGIN_PER_EMAIL": "-1/1m",
		}, wantErr: []string{"RATE_FORGOT_PER_IP:", "RATE_MAILS_PER_CUSTOMER:", "RATE_MAILS_PER_EMAIL:", "RATE_LOGIN_PER_EMAIL:"}},
		{name: "all production problems at once", base: func() map[string]string { return map[string]string{"APP_ENV": "production"} },
			wantErr: []string{"SECRET_KEY:", "MAIL_DRIVER:", "MAILGUN_DOMAIN:", "MAILGUN_API_KEY:", "MAIL_FROM:", "BASE_URL:"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.base()
			for k, v := range tt.set {
				env[k] = v
			}
			for _, k := range tt.del {
				delete(env, k)
			}
			cfg, err := loadConfig(mapEnv(env))
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatalf("loadConfig: %v", err)
				}
				if tt.check != nil {
					tt.check(t, cfg)
				}
				return
			}
			if err == nil {
				t.Fatalf("loadConfig: no error; want %q", tt.wantErr)
			}
			for _, want := range tt.wantErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error = %q; want it to contain %q", err, want)
				}
			}
		})
	}
}

func TestLoadConfigDevSecretFile(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	env := mapEnv(map[string]string{})

	first, err := loadConfig(env)
	if err != nil {
		t.Fatalf("loadConfig: %v", err)
	}
	if len(first.SecretKey) < app.MinSecretLen {
		t.Fatalf("generated secret is %d bytes; want at least %d", len(first.SecretKey), app.MinSecretLen)
	}
	path := filepath.Join(dir, "data", "secret.key")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("secret file: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("secret file mode = %o; want 600", perm)
	}
	if !strings.Contains(first.SecretSource, "generated") {
		t.Errorf("SecretSource = %q; want it to say generated", first.SecretSource)
	}

	second, err := loadConfig(env)
	if err != nil {
		t.Fatalf("second loadConfig: %v", err)
	}
	if string(second.SecretKey) != string(first.SecretKey) {
		t.Errorf("second start got another secret; want the kept one reused")
	}

	// SECRET_KEY wins over the file.
	withEnv, err := loadConfig(mapEnv(map[string]string{"SECRET_KEY": testSecret}))
	if err != nil {
		t.Fatalf("loadConfig with SECRET_KEY: %v", err)
	}
	if string(withEnv.SecretKey) != testSecret {
		t.Errorf("SECRET_KEY not used over the file")
	}

	// A damaged file is reported, not silently replaced: replacing it would
	// invalidate every sealed outbox payload.
	if err := os.WriteFile(path, []byte("short\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = loadConfig(env)
	if err == nil || !strings.Contains(err.Error(), "SECRET_KEY:") {
		t.Errorf("loadConfig with a short secret file: err = %v; want a SECRET_KEY problem", err)
	}
}

func TestLoadConfigProductionNeverWritesSecret(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	env := prodEnv()
	delete(env, "SECRET_KEY")
	if _, err := loadConfig(mapEnv(env)); err == nil {
		t.Fatal("production without SECRET_KEY accepted")
	}
	if _, err := os.Stat(filepath.Join(dir, "data", "secret.key")); err == nil {
		t.Error("production generated a secret file; want it to refuse instead")
	}
}

func TestParseLimit(t *testing.T) {
	tests := []struct {
		in      string
		want    app.Limit
		wantErr bool
	}{
		{"20/10m", app.Limit{Max: 20, Window: 10 * time.Minute}, false},
		{" 3 / 1h ", app.Limit{Max: 3, Window: time.Hour}, false},
		{"OFF", app.Limit{}, false},
		{"0/1h", app.Limit{}, false},
		{"20", app.Limit{}, true},
		{"/1h", app.Limit{}, true},
		{"3/", app.Limit{}, true},
		{"3/0s", app.Limit{}, true},
		{"3/-1m", app.Limit{}, true},
		{"1.5/1h", app.Limit{}, true},
	}
	for _, tt := range tests {
		got, err := parseLimit(strings.TrimSpace(tt.in))
		if (err != nil) != tt.wantErr {
			t.Errorf("parseLimit(%q) err = %v; want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("parseLimit(%q) = %+v; want %+v", tt.in, got, tt.want)
		}
	}
}
