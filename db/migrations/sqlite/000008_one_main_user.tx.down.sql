DROP INDEX users_one_main;
