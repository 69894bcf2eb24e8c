package db

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/uptrace/bun"
)

// The upserts below never move a window backwards: an instance whose clock
// lags still counts into the newer window instead of resetting it.
// MySQL evaluates ON DUPLICATE KEY assignments left to right, so count is
// computed while window_start still holds the old value. VALUES() rather
// than the newer row alias, because MariaDB has no alias syntax.
const (
	hitMySQL = `INSERT INTO rate_limits (key_hash, window_start, count) VALUES (?, ?, 1)
ON DUPLICATE KEY UPDATE
  count = IF(VALUES(window_start) > window_start, 1, count + 1),
  window_start = GREATEST(window_start, VALUES(window_start))`
	hitSQLite = `INSERT INTO rate_limits (key_hash, window_start, count) VALUES (?, ?, 1)
ON CONFLICT (key_hash) DO UPDATE SET
  count = CASE WHEN excluded.window_start > rate_limits.window_start THEN 1 ELSE rate_limits.count + 1 END,
  window_start = MAX(rate_limits.window_start, excluded.window_start)`
)

// Hit adds one to key's counter in the fixed window containing now and
// returns the count including this hit and the end of the window. The
// upsert is atomic across instances; reading back in the same transaction
// sees this hit's own write while the row stays locked. The key is stored
// as its SHA-256 so that emails and IPs do not sit in the table in clear.
func (s *Store) Hit(ctx context.Context, key string, window time.Duration, now time.Time) (int, time.Time, error) {
	if window <= 0 {
		return 0, time.Time{}, fmt.Errorf("db: hit: window %v is not positive", window)
	}
	sum := sha256.Sum256([]byte(key))
	keyHash := hex.EncodeToString(sum[:])
	start := dbTime(now.UTC().Truncate(window))
	query := hitSQLite
	if s.isMySQL() {
		query = hitMySQL
	}
	var got struct {
		WindowStart time.Time `bun:"window_start"`
		Count       int       `bun:"count"`
	}
	hit := func(ctx context.Context, tx bun.Tx) error {
		if _, err := tx.NewRaw(query, keyHash, start).Exec(ctx); err != nil {
			return err
		}
		return tx.NewRaw("SELECT window_start, count FROM rate_limits WHERE key_hash = ?", keyHash).Scan(ctx, &got)
	}
	err := s.runInTx(ctx, hit)
	if err != nil {
		return 0, time.Time{}, fmt.Errorf("db: hit: %w", err)
	}
	return got.Count, got.WindowStart.UTC().Add(window), nil
}
