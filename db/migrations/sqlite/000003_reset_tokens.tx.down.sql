DROP TABLE IF EXISTS reset_tokens
