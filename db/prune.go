package db

import (
	"context"
	"fmt"
	"time"

	"github.com/hafele-online/reset/app"
)

// Prune deletes what no longer does anything: expired sessions, dead reset
// tokens, sent mail and ended rate-limit windows. Each delete is its own
// statement so a large backlog never holds one long transaction.
func (s *Store) Prune(ctx context.Context, now, tokensBefore, mailBefore, limitsBefore time.Time) (int64, error) {
	steps := []struct {
		name  string
		table string
		where string
		arg   time.Time
	}{
		{"sessions", "sessions", "expires_at <= ?", now},
		// A token dies when it is spent, revoked or expires, whichever
		// comes first; a live one has a future expiry and stays.
		{"reset tokens", "reset_tokens", "COALESCE(used_at, revoked_at, expires_at) < ?", tokensBefore},
		{"sent mail", "mail_outbox", "status = '" + string(app.OutboxSent) + "' AND sent_at < ?", mailBefore},
		{"rate limits", "rate_limits", "window_start < ?", limitsBefore},
	}
	var total int64
	for _, st := range steps {
		res, err := s.db.NewDelete().TableExpr(st.table).Where(st.where, dbTime(st.arg)).Exec(ctx)
		if err != nil {
			return total, fmt.Errorf("db: prune %s: %w", st.name, err)
		}
		n, _ := res.RowsAffected()
		total += n
	}
	return total, nil
}
