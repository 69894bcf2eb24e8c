-- Tables use utf8mb4_bin so the database compares text byte for byte, as Go
-- and SQLite do. email_key is app.Email.Key(); 254 characters x 4 bytes fits
-- the 3072-byte InnoDB key limit of ROW_FORMAT=DYNAMIC (MariaDB 10.2+, MySQL 5.7+).
CREATE TABLE users (
  id BIGINT NOT NULL AUTO_INCREMENT,
  customer_id BIGINT NOT NULL,
  email VARCHAR(254) NOT NULL,
  email_key VARCHAR(254) NOT NULL,
  role VARCHAR(16) NOT NULL,
  password_hash VARCHAR(255) NOT NULL DEFAULT '',
  created_at DATETIME(6) NOT NULL,
  updated_at DATETIME(6) NOT NULL,
  PRIMARY KEY (id),
  UNIQUE KEY users_email_key_unique (email_key),
  KEY users_customer_id (customer_id),
  CONSTRAINT users_customer_fk FOREIGN KEY (customer_id) REFERENCES customers (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin ROW_FORMAT=DYNAMIC
