-- Times are stored as text in one UTC format ("2006-01-02 15:04:05.999999+00:00",
-- written by Bun), so comparing them as strings compares them as times.
CREATE TABLE customers (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  code TEXT NOT NULL,
  postal_code TEXT NOT NULL,
  company TEXT NOT NULL,
  created_at DATETIME NOT NULL,
  CONSTRAINT customers_code_unique UNIQUE (code)
)
