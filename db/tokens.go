package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
)

type tokenRow struct {
	bun.BaseModel `bun:"table:reset_tokens,alias:t"`

	ID        int64      `bun:"id,pk,autoincrement"`
	UserID    int64      `bun:"user_id"`
	Hash      []byte     `bun:"hash"` // SHA-256 of the token; the token itself is never stored
	CreatedAt time.Time  `bun:"created_at"`
	ExpiresAt time.Time  `bun:"expires_at"`
	UsedAt    *time.Time `bun:"used_at"`
	RevokedAt *time.Time `bun:"revoked_at"`
}

func (r tokenRow) domain() app.ResetToken {
	return app.ResetToken{
		ID:        r.ID,
		UserID:    r.UserID,
		Hash:      r.Hash,
		CreatedAt: r.CreatedAt.UTC(),
		ExpiresAt: r.ExpiresAt.UTC(),
		UsedAt:    utcPtr(r.UsedAt),
		RevokedAt: utcPtr(r.RevokedAt),
	}
}

// CreateResetToken inserts t and sets its ID. A hash already stored is
// app.ErrConflict.
func (s *Store) CreateResetToken(ctx context.Context, t *app.ResetToken) error {
	if err := checkHash("token hash", t.Hash); err != nil {
		return fmt.Errorf("db: create reset token: %w", err)
	}
	row := tokenRow{
		UserID:    t.UserID,
		Hash:      t.Hash,
		CreatedAt: dbTime(orNow(t.CreatedAt)),
		ExpiresAt: dbTime(t.ExpiresAt),
		UsedAt:    dbTimePtr(t.UsedAt),
		RevokedAt: dbTimePtr(t.RevokedAt),
	}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("db: create reset token: %w", mapErr(err))
	}
	*t = row.domain()
	return nil
}

// ResetTokenByHash finds a token by the SHA-256 of what the user holds,
// whatever its state; the caller decides with Live.
func (s *Store) ResetTokenByHash(ctx context.Context, hash []byte) (app.ResetToken, error) {
	var row tokenRow
	if err := s.db.NewSelect().Model(&row).Where("hash = ?", hash).Limit(1).Scan(ctx); err != nil {
		return app.ResetToken{}, fmt.Errorf("db: reset token by hash: %w", mapErr(err))
	}
	return row.domain(), nil
}

// SpendResetToken marks the token used in one conditional UPDATE: the
// database, not a read before the write, decides which of two concurrent
// callers spends it. used_at always changes, so MySQL counts the row.
func (s *Store) SpendResetToken(ctx context.Context, id int64, now time.Time) (bool, error) {
	at := dbTime(now)
	res, err := s.db.NewUpdate().Model((*tokenRow)(nil)).
		Set("used_at = ?", at).
		Where("id = ?", id).
		Where("used_at IS NULL").
		Where("revoked_at IS NULL").
		Where("expires_at > ?", at).
		Exec(ctx)
	if err != nil {
		return false, fmt.Errorf("db: spend reset token %d: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("db: spend reset token %d: %w", id, err)
	}
	return n == 1, nil
}

// RevokeResetTokens revokes the user's live tokens (unused, unrevoked,
// unexpired at at) other than exceptID. Pass 0 to revoke them all.
func (s *Store) RevokeResetTokens(ctx context.Context, userID, exceptID int64, at time.Time) error {
	t := dbTime(at)
	_, err := s.db.NewUpdate().Model((*tokenRow)(nil)).
		Set("revoked_at = ?", t).
		Where("user_id = ?", userID).
		Where("id <> ?", exceptID).
		Where("used_at IS NULL").
		Where("revoked_at IS NULL").
		Where("expires_at > ?", t).
		Exec(ctx)
	if err != nil {
		return fmt.Errorf("db: revoke reset tokens of user %d: %w", userID, err)
	}
	return nil
}
