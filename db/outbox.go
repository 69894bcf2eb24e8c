package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
)

type outboxRow struct {
	bun.BaseModel `bun:"table:mail_outbox,alias:m"`

	ID            int64      `bun:"id,pk,autoincrement"`
	Kind          string     `bun:"kind"`
	UserID        int64      `bun:"user_id"`
	Payload       []byte     `bun:"payload"` // sealed; emptied once sent
	Status        string     `bun:"status"`
	Attempts      int        `bun:"attempts"`
	NextAttemptAt time.Time  `bun:"next_attempt_at"`
	LockedUntil   *time.Time `bun:"locked_until"` // a worker's lease
	ProviderID    string     `bun:"provider_id"`
	LastError     string     `bun:"last_error"`
	CreatedAt     time.Time  `bun:"created_at"`
	SentAt        *time.Time `bun:"sent_at"`
}

func (r outboxRow) domain() app.OutboxMessage {
	return app.OutboxMessage{
		ID:            r.ID,
		Kind:          app.MailKind(r.Kind),
		UserID:        r.UserID,
		Payload:       r.Payload,
		Status:        app.OutboxStatus(r.Status),
		Attempts:      r.Attempts,
		NextAttemptAt: r.NextAttemptAt.UTC(),
		LockedUntil:   utcPtr(r.LockedUntil),
		ProviderID:    r.ProviderID,
		LastError:     r.LastError,
		CreatedAt:     r.CreatedAt.UTC(),
		SentAt:        utcPtr(r.SentAt),
	}
}

// EnqueueMail inserts m and sets its ID. An empty Status is pending and a
// zero NextAttemptAt is CreatedAt, so a plain message is due at once.
func (s *Store) EnqueueMail(ctx context.Context, m *app.OutboxMessage) error {
	if err := checkLen("mail kind", string(m.Kind), maxKind); err != nil {
		return fmt.Errorf("db: enqueue mail: %w", err)
	}
	row := outboxRow{
		Kind:          string(m.Kind),
		UserID:        m.UserID,
		Payload:       m.Payload,
		Status:        string(m.Status),
		Attempts:      m.Attempts,
		NextAttemptAt: dbTime(m.NextAttemptAt),
		LockedUntil:   dbTimePtr(m.LockedUntil),
		ProviderID:    clip(m.ProviderID, maxProviderID),
		LastError:     clip(m.LastError, maxLastError),
		CreatedAt:     dbTime(orNow(m.CreatedAt)),
		SentAt:        dbTimePtr(m.SentAt),
	}
	if row.Payload == nil {
		row.Payload = []byte{} // the column is NOT NULL
	}
	if row.Status == "" {
		row.Status = string(app.OutboxPending)
	}
	if m.NextAttemptAt.IsZero() {
		row.NextAttemptAt = row.CreatedAt
	}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("db: enqueue mail: %w", mapErr(err))
	}
	*m = row.domain()
	return nil
}

// ClaimMail leases up to limit due pending messages until now+lease and
// returns them, oldest due first. Selecting and leasing happen in one
// transaction; on MySQL the rows are locked with SKIP LOCKED, so a second
// instance claiming at the same moment passes over them instead of waiting
// and then sending them again. SQLite has a single writer, so its
// transaction alone is enough.
func (s *Store) ClaimMail(ctx context.Context, now time.Time, lease time.Duration, limit int) ([]app.OutboxMessage, error) {
	if limit <= 0 {
		return nil, nil
	}
	at := dbTime(now)
	until := dbTime(now.Add(lease))
	var rows []outboxRow
	err := s.db.RunInTx(ctx, nil, func(ctx context.Context, tx bun.Tx) error {
		q := tx.NewSelect().Model(&rows).
			Where("status = ?", string(app.OutboxPending)).
			Where("next_attempt_at <= ?", at).
			Where("(locked_until IS NULL OR locked_until < ?)", at).
			OrderExpr("next_attempt_at ASC, id ASC").
			Limit(int64(limit))
		if s.isMySQL() {
			q = q.For("UPDATE SKIP LOCKED")
		}
		if err := q.Scan(ctx); err != nil {
			return err
		}
		if len(rows) == 0 {
			return nil
		}
		ids := make([]int64, len(rows))
		for i := range rows {
			ids[i] = rows[i].ID
		}
		_, err := tx.NewUpdate().Model((*outboxRow)(nil)).
			Set("locked_until = ?", until).
			Where("id IN (?)", bun.List(ids)).
			Exec(ctx)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("db: claim mail: %w", err)
	}
	msgs := make([]app.OutboxMessage, len(rows))
	for i := range rows {
		rows[i].LockedUntil = &until
		msgs[i] = rows[i].domain()
	}
	return msgs, nil
}

// MarkMailSent records the provider's acceptance. The payload is wiped:
// it holds the sealed reset token, which nobody needs once the mail is out.
func (s *Store) MarkMailSent(ctx context.Context, id int64, providerID string, at time.Time) error {
	res, err := s.db.NewUpdate().Model((*outboxRow)(nil)).
		Set("status = ?", string(app.OutboxSent)).
		Set("provider_id = ?", clip(providerID, maxProviderID)).
		Set("sent_at = ?", dbTime(at)).
		Set("locked_until = NULL").
		Set("payload = ?", []byte{}).
		Where("id = ?", id).
		Exec(ctx)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("db: mark mail %d sent: %w", id, err)
	}
	return nil
}

// MarkMailFailed records a failed attempt and releases the lease: the
// message is due again at next, or dead (kept, payload and all, for an
// operator to look at) when dead is set.
func (s *Store) MarkMailFailed(ctx context.Context, id int64, attempts int, next time.Time, lastErr string, dead bool) error {
	status := app.OutboxPending
	if dead {
		status = app.OutboxDead
	}
	res, err := s.db.NewUpdate().Model((*outboxRow)(nil)).
		Set("status = ?", string(status)).
		Set("attempts = ?", attempts).
		Set("next_attempt_at = ?", dbTime(next)).
		Set("last_error = ?", clip(lastErr, maxLastError)).
		Set("locked_until = NULL").
		Where("id = ?", id).
		Exec(ctx)
	if err == nil {
		err = mustAffect(res)
	}
	if err != nil {
		return fmt.Errorf("db: mark mail %d failed: %w", id, err)
	}
	return nil
}

// MailByID finds an outbox message.
func (s *Store) MailByID(ctx context.Context, id int64) (app.OutboxMessage, error) {
	var row outboxRow
	if err := s.db.NewSelect().Model(&row).Where("id = ?", id).Scan(ctx); err != nil {
		return app.OutboxMessage{}, fmt.Errorf("db: mail %d: %w", id, mapErr(err))
	}
	return row.domain(), nil
}
