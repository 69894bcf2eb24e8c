package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
)

type sessionRow struct {
	bun.BaseModel `bun:"table:sessions,alias:s"`

	IDHash    []byte    `bun:"id_hash,pk"` // SHA-256 of the cookie's random id
	UserID    int64     `bun:"user_id"`
	CreatedAt time.Time `bun:"created_at"`
	ExpiresAt time.Time `bun:"expires_at"`
	IP        string    `bun:"ip"`
	UserAgent string    `bun:"user_agent"`
}

func (r sessionRow) domain() app.Session {
	return app.Session{
		IDHash:    r.IDHash,
		UserID:    r.UserID,
		CreatedAt: r.CreatedAt.UTC(),
		ExpiresAt: r.ExpiresAt.UTC(),
		IP:        r.IP,
		UserAgent: r.UserAgent,
	}
}

// CreateSession stores a login session; a long user agent is cut to fit.
func (s *Store) CreateSession(ctx context.Context, sess *app.Session) error {
	if err := checkHash("session id hash", sess.IDHash); err != nil {
		return fmt.Errorf("db: create session: %w", err)
	}
	row := sessionRow{
		IDHash:    sess.IDHash,
		UserID:    sess.UserID,
		CreatedAt: dbTime(orNow(sess.CreatedAt)),
		ExpiresAt: dbTime(sess.ExpiresAt),
		IP:        clip(sess.IP, maxIP),
		UserAgent: clip(sess.UserAgent, maxUserAgent),
	}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("db: create session: %w", mapErr(err))
	}
	*sess = row.domain()
	return nil
}

// SessionByHash finds a session, expired or not; the caller checks.
func (s *Store) SessionByHash(ctx context.Context, idHash []byte) (app.Session, error) {
	var row sessionRow
	if err := s.db.NewSelect().Model(&row).Where("id_hash = ?", idHash).Scan(ctx); err != nil {
		return app.Session{}, fmt.Errorf("db: session by hash: %w", mapErr(err))
	}
	return row.domain(), nil
}

// DeleteSession ends one session; ending one that is gone is not an error.
func (s *Store) DeleteSession(ctx context.Context, idHash []byte) error {
	if _, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("id_hash = ?", idHash).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete session: %w", err)
	}
	return nil
}

// DeleteUserSessions ends every session of the user (after a password
// change).
func (s *Store) DeleteUserSessions(ctx context.Context, userID int64) error {
	if _, err := s.db.NewDelete().Model((*sessionRow)(nil)).Where("user_id = ?", userID).Exec(ctx); err != nil {
		return fmt.Errorf("db: delete sessions of user %d: %w", userID, err)
	}
	return nil
}
