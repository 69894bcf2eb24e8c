-- A customer has exactly one main user.
CREATE UNIQUE INDEX users_one_main ON users (customer_id) WHERE role = 'main';
