CREATE TABLE sessions (
  id_hash BLOB NOT NULL PRIMARY KEY CHECK (length(id_hash) = 32),
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at DATETIME NOT NULL,
  expires_at DATETIME NOT NULL,
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
)
--bun:split
CREATE INDEX sessions_user_id ON sessions (user_id)
--bun:split
CREATE INDEX sessions_expires_at ON sessions (expires_at)
