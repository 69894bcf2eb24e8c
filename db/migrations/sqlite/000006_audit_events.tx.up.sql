CREATE TABLE audit_events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  at DATETIME NOT NULL,
  kind TEXT NOT NULL,
  user_id INTEGER NULL,
  customer_code TEXT NOT NULL DEFAULT '',
  email TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
)
--bun:split
CREATE INDEX audit_events_at ON audit_events (at)
--bun:split
CREATE INDEX audit_events_user_id ON audit_events (user_id)
