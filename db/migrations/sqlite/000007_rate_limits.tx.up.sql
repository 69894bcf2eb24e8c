CREATE TABLE rate_limits (
  key_hash TEXT NOT NULL PRIMARY KEY,
  window_start DATETIME NOT NULL,
  count INTEGER NOT NULL
)
