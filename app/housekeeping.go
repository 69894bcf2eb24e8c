package app

import (
	"context"
	"log/slog"
	"time"
)

// Retention says how long rows that no longer do anything are kept.
type Retention struct {
	// Tokens: spent, revoked or expired reset tokens, kept this long after
	// they died for investigations next to the audit log.
	Tokens time.Duration
	// SentMail: outbox rows the provider accepted (their payload is already
	// wiped).
	SentMail time.Duration
	// Limits: rate-limit counters whose window ended this long ago.
	Limits time.Duration
}

// DefaultRetention keeps dead tokens and sent mail for 30 days.
func DefaultRetention() Retention {
	return Retention{Tokens: 30 * 24 * time.Hour, SentMail: 30 * 24 * time.Hour, Limits: 24 * time.Hour}
}

// PruneStore deletes rows that no longer matter.
type PruneStore interface {
	// Prune deletes expired sessions (expires_at <= now), dead reset tokens
	// older than tokensBefore, sent mail older than mailBefore and
	// rate-limit rows whose window started before limitsBefore. It returns
	// the number of rows deleted.
	Prune(ctx context.Context, now, tokensBefore, mailBefore, limitsBefore time.Time) (int64, error)
}

// Housekeeper prunes the database now and then. Any number of instances
// may run one: the deletes are idempotent.
type Housekeeper struct {
	Store     PruneStore
	Clock     Clock
	Retention Retention
	Logger    *slog.Logger
}

// RunOnce prunes once.
func (h *Housekeeper) RunOnce(ctx context.Context) (int64, error) {
	now := h.Clock()
	r := h.Retention
	return h.Store.Prune(ctx, now, now.Add(-r.Tokens), now.Add(-r.SentMail), now.Add(-r.Limits))
}

// Run prunes every interval until ctx ends.
func (h *Housekeeper) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		n, err := h.RunOnce(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			h.Logger.Error("housekeeping failed", "err", err)
		case n > 0:
			h.Logger.Info("housekeeping", "deleted_rows", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
