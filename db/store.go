package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/go-sql-driver/mysql"
	"github.com/uptrace/bun"
	"github.com/uptrace/bun/dialect"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/hafele-online/reset/app"
)

// Store implements app.Store with Bun. It runs on a *bun.DB or, inside
// InTx, on the transaction.
type Store struct {
	db bun.IDB
}

var _ app.Store = (*Store)(nil)

// NewStore returns a Store running its queries on db (a *bun.DB, bun.Tx or
// bun.Conn).
func NewStore(db bun.IDB) *Store { return &Store{db: db} }

// InTx runs fn in one transaction (a savepoint when s is already in one).
// fn's own error comes back unwrapped so callers can match it. On SQLite
// the pool has one connection: fn must use tx, never s, or it deadlocks.
func (s *Store) InTx(ctx context.Context, fn func(tx app.Store) error) error {
	var fnErr error
	err := s.runInTx(ctx, func(ctx context.Context, tx bun.Tx) error {
		fnErr = fn(NewStore(tx))
		return fnErr
	})
	if err != nil && fnErr == nil {
		return fmt.Errorf("db: transaction: %w", err)
	}
	return err
}

// txAttempts bounds the runs of a transaction lost to a deadlock.
const txAttempts = 5

// runInTx runs fn in a transaction. When InnoDB rolls it back as a deadlock
// victim or after a lock wait timeout (two reset requests for one user, two
// first hits of one rate-limit key), it is run again, after a short pause:
// that is MySQL's documented remedy, and fn only touches the database. Only
// a transaction of our own is retried: inside a caller's, the rollback
// undid the caller's work too.
func (s *Store) runInTx(ctx context.Context, fn func(ctx context.Context, tx bun.Tx) error) error {
	_, standalone := s.db.(*bun.DB)
	for attempt := 1; ; attempt++ {
		err := s.db.RunInTx(ctx, nil, fn)
		if err == nil || !standalone || !isRetryable(err) || attempt == txAttempts {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 5 * time.Millisecond):
		}
	}
}

// Ping checks that the database answers a query (for /readyz).
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.NewSelect().ColumnExpr("1").Scan(ctx, &one); err != nil {
		return fmt.Errorf("db: ping: %w", err)
	}
	return nil
}

func (s *Store) isMySQL() bool { return s.db.Dialect().Name() == dialect.MySQL }

// Column sizes, as declared in the migrations.
const (
	maxCode         = 16
	maxPostalCode   = 16
	maxCompany      = 255
	maxEmail        = 254
	maxRole         = 16
	maxPasswordHash = 255
	maxIP           = 64
	maxUserAgent    = 255
	maxKind         = 32
	maxProviderID   = 191
	maxLastError    = 1000
	maxAuditCode    = 32
	maxDetail       = 1000
	hashLen         = 32 // SHA-256
)

// mapErr turns driver errors into the domain's: no row is app.ErrNotFound,
// a duplicate key is app.ErrConflict (keeping the driver's message).
func mapErr(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, sql.ErrNoRows):
		return app.ErrNotFound
	case isDuplicate(err):
		return fmt.Errorf("%w: %w", app.ErrConflict, err)
	}
	return err
}

func isDuplicate(err error) bool {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		return me.Number == 1062 // ER_DUP_ENTRY
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
	}
	return false
}

// isRetryable reports MySQL errors after which InnoDB has rolled the
// transaction back and running it again is the documented remedy.
func isRetryable(err error) bool {
	var me *mysql.MySQLError
	return errors.As(err, &me) && (me.Number == 1213 || me.Number == 1205) // deadlock, lock wait timeout
}

// mustAffect turns "no row matched" into app.ErrNotFound. On MySQL the
// connection reports rows matched (clientFoundRows), as SQLite does.
func mustAffect(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return app.ErrNotFound
	}
	return nil
}

// dbTime is a time as stored: UTC, to the microsecond (MySQL DATETIME(6)),
// so what is written is exactly what is read back.
func dbTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

func dbTimePtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := dbTime(*t)
	return &v
}

// orNow fills a zero creation time, so a caller that forgot it does not
// store year 1.
func orNow(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now()
	}
	return t
}

// utcPtr returns a copy in UTC; drivers hand back times in other locations.
func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.UTC()
	return &v
}

// clip makes free text (user agents, error messages) fit its column:
// valid UTF-8 (MySQL rejects invalid utf8mb4 in strict mode), no NUL (Bun's
// SQLite dialect refuses it) and at most n characters.
func clip(s string, n int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.ReplaceAll(s, "\x00", "")
	i := 0
	for j := range s {
		if i == n {
			return s[:j]
		}
		i++
	}
	return s
}

// checkLen rejects identifying values (codes, emails, hashes) that do not
// fit: cutting them would silently make them someone else's.
func checkLen(field, s string, n int) error {
	if utf8.RuneCountInString(s) > n {
		return fmt.Errorf("%s longer than %d characters", field, n)
	}
	return nil
}

func checkHash(field string, h []byte) error {
	if len(h) != hashLen {
		return fmt.Errorf("%s is %d bytes, want %d", field, len(h), hashLen)
	}
	return nil
}
