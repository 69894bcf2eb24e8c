package db

import (
	"context"
	"fmt"
	"time"

	"github.com/uptrace/bun"

	"github.com/hafele-online/reset/app"
)

type auditRow struct {
	bun.BaseModel `bun:"table:audit_events,alias:a"`

	ID           int64     `bun:"id,pk,autoincrement"`
	At           time.Time `bun:"at"`
	Kind         string    `bun:"kind"`
	UserID       *int64    `bun:"user_id"`
	CustomerCode string    `bun:"customer_code"`
	Email        string    `bun:"email"`
	Detail       string    `bun:"detail"`
	IP           string    `bun:"ip"`
	UserAgent    string    `bun:"user_agent"`
}

func (r auditRow) domain() app.AuditEvent {
	return app.AuditEvent{
		ID:           r.ID,
		At:           r.At.UTC(),
		Kind:         app.AuditKind(r.Kind),
		UserID:       r.UserID,
		CustomerCode: r.CustomerCode,
		Email:        r.Email,
		Detail:       r.Detail,
		IP:           r.IP,
		UserAgent:    r.UserAgent,
	}
}

// RecordAudit appends e and sets its ID. Every text field may come from a
// client (what was typed, the user agent), so each is cut to its column
// rather than failing the request it records.
func (s *Store) RecordAudit(ctx context.Context, e *app.AuditEvent) error {
	row := auditRow{
		At:           dbTime(orNow(e.At)),
		Kind:         clip(string(e.Kind), maxKind),
		UserID:       e.UserID,
		CustomerCode: clip(e.CustomerCode, maxAuditCode),
		Email:        clip(e.Email, maxEmail),
		Detail:       clip(e.Detail, maxDetail),
		IP:           clip(e.IP, maxIP),
		UserAgent:    clip(e.UserAgent, maxUserAgent),
	}
	if _, err := s.db.NewInsert().Model(&row).Exec(ctx); err != nil {
		return fmt.Errorf("db: record audit %s: %w", e.Kind, mapErr(err))
	}
	*e = row.domain()
	return nil
}

// RecentAudit returns up to limit events with ID > afterID, newest first.
// Ids grow with time, so they order events even when two share a time.
func (s *Store) RecentAudit(ctx context.Context, afterID int64, limit int) ([]app.AuditEvent, error) {
	if limit <= 0 {
		return nil, nil
	}
	var rows []auditRow
	if err := s.db.NewSelect().Model(&rows).Where("id > ?", afterID).OrderExpr("id DESC").Limit(int64(limit)).Scan(ctx); err != nil {
		return nil, fmt.Errorf("db: recent audit: %w", err)
	}
	events := make([]app.AuditEvent, len(rows))
	for i, r := range rows {
		events[i] = r.domain()
	}
	return events, nil
}
