ALTER TABLE users DROP INDEX users_one_main, DROP COLUMN main_of
