// Package dbtest gives tests a fresh database on every backend the service
// supports: SQLite in a temporary directory, and a throwaway database on a
// MySQL/MariaDB server.
//
// The MySQL server is TEST_MYSQL_DSN, a go-sql-driver DSN without a
// database name (root@tcp(127.0.0.1:3306)/ when unset). If it cannot be
// reached the MySQL tests are skipped, unless TEST_MYSQL_REQUIRED=1 (as in
// CI), which makes that a failure.
package dbtest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/db"
)

// Backend names, also the subtest names of ForEach.
const (
	SQLite = "sqlite"
	MySQL  = "mysql"
)

const defaultMySQLDSN = "root@tcp(127.0.0.1:3306)/"

// Backends lists the backends ForEach runs, in order.
func Backends() []string { return []string{SQLite, MySQL} }

// ForEach runs fn as a subtest per backend, each with a fresh, migrated
// database that is closed (and, on MySQL, dropped) when the subtest ends.
func ForEach(t *testing.T, fn func(t *testing.T, db *bun.DB)) {
	t.Helper()
	for _, b := range Backends() {
		t.Run(b, func(t *testing.T) {
			fn(t, Open(t, b))
		})
	}
}

// Open returns a fresh, migrated database on the named backend.
func Open(tb testing.TB, backend string) *bun.DB {
	tb.Helper()
	bdb := OpenEmpty(tb, backend)
	if err := db.Migrate(context.Background(), bdb); err != nil {
		tb.Fatalf("dbtest: migrate %s: %v", backend, err)
	}
	return bdb
}

// OpenEmpty returns a fresh database without the schema, for testing the
// migrations themselves.
func OpenEmpty(tb testing.TB, backend string) *bun.DB {
	tb.Helper()
	switch backend {
	case SQLite:
		return openSQLite(tb)
	case MySQL:
		return openMySQL(tb)
	}
	tb.Fatalf("dbtest: unknown backend %q", backend)
	return nil
}

// OpenSQLite returns a fresh, migrated SQLite database in tb.TempDir().
func OpenSQLite(tb testing.TB) *bun.DB {
	tb.Helper()
	return Open(tb, SQLite)
}

// OpenMySQL returns a fresh, migrated database on the test MySQL server,
// or skips tb when there is none (see the package comment).
func OpenMySQL(tb testing.TB) *bun.DB {
	tb.Helper()
	return Open(tb, MySQL)
}

func openSQLite(tb testing.TB) *bun.DB {
	tb.Helper()
	ctx := context.Background()
	bdb, err := db.OpenSQLite(ctx, filepath.Join(tb.TempDir(), "test.db"))
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() { _ = bdb.Close() })
	return bdb
}

func openMySQL(tb testing.TB) *bun.DB {
	tb.Helper()
	dsn := os.Getenv("TEST_MYSQL_DSN")
	if dsn == "" {
		dsn = defaultMySQLDSN
	}
	cfg, err := mysql.ParseDSN(dsn)
	if err != nil {
		tb.Fatalf("dbtest: TEST_MYSQL_DSN: %v", err)
	}
	if cfg.DBName != "" {
		tb.Fatalf("dbtest: TEST_MYSQL_DSN %q names a database; leave it out, each test creates its own", cfg.Addr+"/"+cfg.DBName)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 2 * time.Second // an absent server should not stall the suite
	}

	admin, err := sql.Open("mysql", cfg.FormatDSN())
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := admin.PingContext(ctx); err != nil {
		_ = admin.Close()
		where := fmt.Sprintf("no server at %s (%v)", cfg.Addr, err)
		if os.Getenv("TEST_MYSQL_REQUIRED") == "1" {
			tb.Fatalf("dbtest: TEST_MYSQL_REQUIRED=1 but %s; set TEST_MYSQL_DSN", where)
		}
		tb.Skipf("MySQL tests skipped: %s; set TEST_MYSQL_DSN", where)
	}

	name := "reset_test_" + randomHex(tb, 8)
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE `"+name+"` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"); err != nil {
		_ = admin.Close()
		tb.Fatalf("dbtest: create database %s: %v", name, err)
	}
	// Registered before the test's own cleanups, so it runs after them:
	// the test's connections are closed by the time the database goes.
	tb.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if _, err := admin.ExecContext(ctx, "DROP DATABASE IF EXISTS `"+name+"`"); err != nil {
			tb.Errorf("dbtest: drop database %s: %v", name, err)
		}
		_ = admin.Close()
	})

	cfg.DBName = name
	bdb, err := db.OpenMySQL(ctx, cfg)
	if err != nil {
		tb.Fatalf("dbtest: %v", err)
	}
	tb.Cleanup(func() { _ = bdb.Close() })
	return bdb
}

func randomHex(tb testing.TB, n int) string {
	tb.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		tb.Fatalf("dbtest: random name: %v", err)
	}
	return hex.EncodeToString(b)
}
