-- A customer has exactly one main user. MySQL and MariaDB have no partial
-- indexes, so a generated column holds customer_id for main users only
-- (NULL, which a unique key allows many times, for shared users).
ALTER TABLE users
  ADD COLUMN main_of BIGINT AS (IF(role = 'main', customer_id, NULL)) STORED,
  ADD UNIQUE KEY users_one_main (main_of)
