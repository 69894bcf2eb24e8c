package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
	"github.com/hafele-online/reset/app/devmail"
	"github.com/hafele-online/reset/app/mailgun"
	"github.com/hafele-online/reset/app/web"
	"github.com/hafele-online/reset/assets"
	"github.com/hafele-online/reset/db"
	"github.com/hafele-online/reset/views"
)

// Timings of the server's life.
const (
	// housekeepingInterval is how often expired sessions, dead tokens, sent
	// mail and ended rate-limit windows are deleted.
	housekeepingInterval = time.Hour
	// mailInterval is how often the worker looks for due mail besides the
	// wake-ups from Notify: retries, and mail queued by other instances.
	mailInterval = 10 * time.Second
	// shutdownTimeout bounds the wait for in-flight requests on shutdown.
	shutdownTimeout = 15 * time.Second
)

// run is the whole program: it parses args (args[0] is the program name),
// reads the configuration through getenv and runs one subcommand. Tests call
// it exactly as main does.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	c := &cli{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	return c.dispatch(ctx, args)
}

// serve runs the web server until ctx is done, then shuts down gracefully:
// in-flight requests finish, accepted reset requests are processed, and the
// mail worker stops.
func (c *cli) serve(ctx context.Context, args []string) error {
	fs := c.flagSet("serve", "", "Runs pending migrations, then serves HTTP on LISTEN_ADDR until SIGINT or SIGTERM.")
	if err := c.parse(fs, args, 0); err != nil {
		return err
	}
	cfg, err := loadConfig(c.getenv)
	if err != nil {
		return err
	}
	logger := newLogger(c.stderr, cfg.Production)
	logger.Info("starting", "env", cfg.Env, "base_url", cfg.BaseURL, "mail_driver", cfg.MailDriver, "secret", cfg.SecretSource)

	bdb, err := openDB(ctx, cfg, true)
	if err != nil {
		return err
	}
	defer bdb.Close()
	store := db.NewStore(bdb)

	keys, err := app.NewKeys(cfg.SecretKey)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	hasher, err := app.NewHasher(app.DefaultHashParams, 0)
	if err != nil {
		return fmt.Errorf("serve: %w", err)
	}
	clock := app.Clock(time.Now)
	limiter := app.Limiter{Store: store, Clock: clock}

	var mailer app.Mailer
	var mailbox *devmail.Mailbox
	switch cfg.MailDriver {
	case mailDriverMailgun:
		mailer = mailgun.New(cfg.Mailgun.Domain, cfg.Mailgun.APIKey, cfg.Mailgun.APIBase)
	default:
		mailbox = devmail.New(logger, cfg.Production)
		mailer = mailbox
	}
	worker := &app.MailWorker{
		Store:    store,
		Composer: views.NewComposer(cfg.MailFrom),
		Mailer:   mailer,
		Keys:     keys,
		Clock:    clock,
		Logger:   logger,
	}
	reset := &app.ResetService{
		Store:      store,
		Keys:       keys,
		Clock:      clock,
		Hasher:     hasher,
		Policy:     app.NewPasswordPolicy(cfg.PasswordMinLength),
		Limiter:    limiter,
		Limits:     cfg.Limits,
		TokenTTL:   cfg.ResetTokenTTL,
		BaseURL:    cfg.BaseURL,
		MailQueued: worker.Notify,
		Logger:     logger,
	}
	auth := &app.AuthService{
		Store:      store,
		Hasher:     hasher,
		Clock:      clock,
		Limiter:    limiter,
		Limits:     cfg.Limits,
		SessionTTL: app.DefaultSessionTTL,
		Logger:     logger,
	}
	assetSet, err := assets.Load()
	if err != nil {
		return fmt.Errorf("serve: assets: %w", err)
	}

	if !cfg.Production {
		if err := c.seedFirstStart(ctx, bdb, store, cfg); err != nil {
			return err
		}
	}

	webApp := web.New(web.Config{
		Production:          cfg.Production,
		BaseURL:             cfg.BaseURL,
		TrustedProxies:      cfg.TrustedProxies,
		EmbedAllowedOrigins: cfg.EmbedAllowedOrigins,
		PasswordMinLength:   cfg.PasswordMinLength,
		SecureCookies:       cfg.Production,
	}, web.Deps{
		Reset:   reset,
		Auth:    auth,
		Limiter: limiter,
		Limits:  cfg.Limits,
		Store:   store,
		Keys:    keys,
		Assets:  assetSet,
		Clock:   clock,
		Logger:  logger,
		DevMail: mailbox,
	})

	// Listen before announcing, so the printed address is the real one even
	// for port 0, and a taken port fails here with a clear error.
	ln, err := net.Listen("tcp", cfg.ListenAddr)
	if err != nil {
		return fmt.Errorf("serve: listen: %w", err)
	}
	fmt.Fprintf(c.stdout, "listening on %s\n", listenURL(ln.Addr()))

	// The worker outlives ctx a little: it is stopped only after the
	// accepted reset requests have queued their mail.
	workerCtx, stopWorker := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWorker()
	var workers sync.WaitGroup
	workers.Go(func() { worker.Run(workerCtx, mailInterval) })
	housekeeper := &app.Housekeeper{Store: store, Clock: clock, Retention: app.DefaultRetention(), Logger: logger}
	workers.Go(func() { housekeeper.Run(workerCtx, housekeepingInterval) })

	served := make(chan error, 1)
	go func() { served <- webApp.Listener(ln) }()

	var serveErr error
	select {
	case serveErr = <-served:
		serveErr = fmt.Errorf("serve: %w", serveErr)
	case <-ctx.Done():
		logger.Info("shutting down")
		shutCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
		if err := webApp.ShutdownWithContext(shutCtx); err != nil {
			serveErr = fmt.Errorf("serve: shutdown: %w", err)
		}
		cancel()
		if err := <-served; err != nil && serveErr == nil {
			serveErr = fmt.Errorf("serve: %w", err)
		}
	}
	reset.Wait()
	stopWorker()
	workers.Wait()
	logger.Info("stopped")
	return serveErr
}

// listenURL is the address to print: the real port, and localhost for an
// unspecified host (":8080"), which is what a developer opens.
func listenURL(addr net.Addr) string {
	host, port, err := net.SplitHostPort(addr.String())
	if err != nil {
		return "http://" + addr.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "localhost"
	}
	return "http://" + net.JoinHostPort(host, port)
}

// seedFirstStart puts the demo data into an empty development database, so
// `go run ./cmd/server` is enough to walk through the flow.
func (c *cli) seedFirstStart(ctx context.Context, bdb *bun.DB, store *db.Store, cfg Config) error {
	// The domain has no "list customers"; an existence check on the table
	// is the one place cmd looks at the schema.
	exists, err := bdb.NewSelect().Table("customers").Limit(1).Exists(ctx)
	if err != nil {
		return fmt.Errorf("serve: check for customers: %w", err)
	}
	if exists {
		return nil
	}
	demo, err := seedDemo(ctx, store, time.Now)
	if err != nil {
		return fmt.Errorf("serve: seed: %w", err)
	}
	fmt.Fprintln(c.stdout, "empty development database: demo data added")
	printDemo(c.stdout, demo, cfg)
	return nil
}

// newLogger logs to stderr: JSON in production for log collectors, text
// for a developer's terminal.
func newLogger(w io.Writer, production bool) *slog.Logger {
	if production {
		return slog.New(slog.NewJSONHandler(w, nil))
	}
	return slog.New(slog.NewTextHandler(w, nil))
}

// openDB opens the configured database and, when migrateUp is set, applies
// pending migrations.
func openDB(ctx context.Context, cfg Config, migrateUp bool) (*bun.DB, error) {
	bdb, err := db.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	if migrateUp {
		if err := db.Migrate(ctx, bdb); err != nil {
			_ = bdb.Close()
			return nil, err
		}
	}
	return bdb, nil
}
