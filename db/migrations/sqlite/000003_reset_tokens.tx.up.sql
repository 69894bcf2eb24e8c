CREATE TABLE reset_tokens (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  hash BLOB NOT NULL CHECK (length(hash) = 32),
  created_at DATETIME NOT NULL,
  expires_at DATETIME NOT NULL,
  used_at DATETIME NULL,
  revoked_at DATETIME NULL,
  CONSTRAINT reset_tokens_hash_unique UNIQUE (hash)
)
--bun:split
CREATE INDEX reset_tokens_user_id ON reset_tokens (user_id)
