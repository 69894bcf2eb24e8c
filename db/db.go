// Package db is the Bun adapter of the domain: it opens the database
// (MySQL/MariaDB, or SQLite for a zero-setup run), runs the migrations and
// implements app.Store. Row structs never leave this package.
package db

import (
	"context"
	"database/sql"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect/mysqldialect"
	"github.com/uptrace/bun/dialect/sqlitedialect"

	// The pure-Go SQLite driver registers itself as "sqlite"; no cgo needed.
	_ "modernc.org/sqlite"
)

// Open connects to the database named by databaseURL and checks that it
// answers. Two forms are understood:
//
//	sqlite:PATH                          (relative or absolute; the parent directory is created)
//	mysql://user:pass@host:3306/db?k=v   (k=v are go-sql-driver/mysql DSN parameters)
func Open(ctx context.Context, databaseURL string) (*bun.DB, error) {
	switch {
	case strings.HasPrefix(databaseURL, "sqlite:"):
		path, err := parseSQLiteURL(databaseURL)
		if err != nil {
			return nil, err
		}
		return OpenSQLite(ctx, path)
	case strings.HasPrefix(databaseURL, "mysql://"):
		cfg, err := ParseMySQLURL(databaseURL)
		if err != nil {
			return nil, err
		}
		return OpenMySQL(ctx, cfg)
	case databaseURL == "":
		return nil, fmt.Errorf("db: open: empty database URL (want sqlite:PATH or mysql://user:pass@host:3306/db)")
	default:
		return nil, fmt.Errorf("db: open: unsupported database URL scheme in %q (want sqlite:PATH or mysql://user:pass@host:3306/db)", redactURL(databaseURL))
	}
}

// parseSQLiteURL returns the file path of "sqlite:PATH". "sqlite://rel" and
// "sqlite:///abs" are accepted too, since people write URLs that way.
func parseSQLiteURL(raw string) (string, error) {
	path := strings.TrimPrefix(raw, "sqlite:")
	path = strings.TrimPrefix(path, "//")
	if path == "" {
		return "", fmt.Errorf("db: open: %q has no file path (want sqlite:PATH, e.g. sqlite:data/reset.db)", raw)
	}
	if strings.ContainsRune(path, '?') {
		// The driver reads DSN parameters after '?', and we set our own.
		return "", fmt.Errorf("db: open: %q: query parameters are not supported in a sqlite URL", raw)
	}
	return path, nil
}

// OpenSQLite opens (creating if needed) the SQLite database file at path.
func OpenSQLite(ctx context.Context, path string) (*bun.DB, error) {
	if path != ":memory:" {
		if dir := filepath.Dir(path); dir != "." {
			if err := os.MkdirAll(dir, 0o750); err != nil {
				return nil, fmt.Errorf("db: open sqlite: create directory: %w", err)
			}
		}
	}
	// Pragmas go in the DSN so every connection the pool opens gets them,
	// not only the first. _txlock=immediate takes the write lock at BEGIN,
	// so a second process on the same file (a CLI beside the server) waits
	// for busy_timeout instead of failing when a read turns into a write.
	dsn := path + "?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)&_pragma=busy_timeout(5000)&_txlock=immediate"
	sqldb, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("db: open sqlite: %w", err)
	}
	// SQLite has one writer. One connection serialises this process's
	// transactions in the pool instead of failing them with SQLITE_BUSY, and
	// keeps a ":memory:" database alive. Code inside RunInTx must use the tx,
	// never the outer *bun.DB, or it waits forever for the one connection.
	sqldb.SetMaxOpenConns(1)
	sqldb.SetConnMaxLifetime(0)
	if err := ping(ctx, sqldb); err != nil {
		return nil, fmt.Errorf("db: open sqlite %s: %w", path, err)
	}
	return bun.NewDB(sqldb, sqlitedialect.New()), nil
}

// ParseMySQLURL turns mysql://user:pass@host:3306/db?params into a driver
// configuration. Query parameters are go-sql-driver/mysql DSN parameters
// (tls=true, timeout=5s, …).
func ParseMySQLURL(raw string) (*mysql.Config, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("db: open: parse mysql URL: %w", redactErr(err, raw))
	}
	if u.Host == "" {
		return nil, fmt.Errorf("db: open: mysql URL %q has no host", redactURL(raw))
	}
	name := strings.TrimPrefix(u.Path, "/")
	if name == "" || strings.Contains(name, "/") {
		return nil, fmt.Errorf("db: open: mysql URL %q needs one database name, as in mysql://user:pass@host:3306/reset", redactURL(raw))
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "3306")
	}
	// Let the driver parse and check the parameters it knows.
	cfg, err := mysql.ParseDSN("tcp(" + addr + ")/" + name + "?" + u.RawQuery)
	if err != nil {
		return nil, fmt.Errorf("db: open: mysql URL %q: %w", redactURL(raw), err)
	}
	if u.User != nil {
		cfg.User = u.User.Username()
		cfg.Passwd, _ = u.User.Password()
	}
	if !u.Query().Has("charset") {
		if err := cfg.Apply(mysql.Charset("utf8mb4", "")); err != nil {
			return nil, fmt.Errorf("db: open: mysql charset: %w", err)
		}
	}
	return cfg, nil
}

// OpenMySQL connects with cfg, after forcing the settings the store relies
// on: times parsed as UTC time.Time, the session time zone UTC (so
// CURRENT_TIMESTAMP is UTC too), and "rows affected" meaning rows matched,
// as on SQLite, so an UPDATE that changes nothing still finds its row.
func OpenMySQL(ctx context.Context, cfg *mysql.Config) (*bun.DB, error) {
	cfg = cfg.Clone()
	cfg.ParseTime = true
	cfg.Loc = time.UTC
	cfg.ClientFoundRows = true
	if cfg.Params == nil {
		cfg.Params = map[string]string{}
	}
	if _, ok := cfg.Params["time_zone"]; !ok {
		cfg.Params["time_zone"] = "'+00:00'"
	}
	if cfg.DBName == "" {
		return nil, fmt.Errorf("db: open mysql: no database name")
	}
	connector, err := mysql.NewConnector(cfg)
	if err != nil {
		return nil, fmt.Errorf("db: open mysql: %w", err)
	}
	sqldb := sql.OpenDB(connector)
	// Servers and proxies drop idle connections; the driver recommends
	// recycling them well before wait_timeout.
	sqldb.SetConnMaxLifetime(3 * time.Minute)
	sqldb.SetMaxOpenConns(20)
	sqldb.SetMaxIdleConns(10)
	// Ping before bun.NewDB: the dialect asks the server for its version
	// there, without a context, so an unreachable server must fail first.
	if err := ping(ctx, sqldb); err != nil {
		return nil, fmt.Errorf("db: open mysql %s/%s: %w", cfg.Addr, cfg.DBName, err)
	}
	return bun.NewDB(sqldb, mysqldialect.New(mysqldialect.WithTimeLocation("UTC"))), nil
}

func ping(ctx context.Context, db *sql.DB) error {
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return err
	}
	return nil
}

// redactURL hides the password of a URL so it never reaches a log.
func redactURL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		if i := strings.LastIndexByte(raw, '@'); i >= 0 {
			if j := strings.Index(raw, "://"); j >= 0 && j < i {
				return raw[:j+3] + "…@" + raw[i+1:]
			}
		}
		return raw
	}
	return u.Redacted()
}

// redactErr keeps url.Parse's message but drops the URL it quotes.
func redactErr(err error, raw string) error {
	if ue, ok := err.(*url.Error); ok {
		return fmt.Errorf("%s %q: %w", ue.Op, redactURL(raw), ue.Err)
	}
	return err
}
