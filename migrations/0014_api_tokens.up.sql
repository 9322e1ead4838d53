-- Per-user API tokens of `amazcope serve` (issue 19). Only a SHA-256 of the token is kept:
-- the token itself is printed once by `amazcope token create` and never stored or logged.
-- A plain hash (not a password hash) is enough because tokens are 244 random bits, not
-- something a person chose; it also lets each request find its token by an index lookup.
-- `prefix` is the token's first characters, kept so `token list` can tell tokens apart.
CREATE TABLE api_tokens (
    id            uuid         NOT NULL DEFAULT gen_random_uuid(),
    user_id       uuid         NOT NULL,
    name          varchar(100) NOT NULL,
    prefix        varchar(16)  NOT NULL,
    token_hash    bytea        NOT NULL,
    created_at    timestamptz  NOT NULL DEFAULT now(),
    last_used_at  timestamptz,
    revoked_at    timestamptz,
    CONSTRAINT pk_api_tokens PRIMARY KEY (id),
    CONSTRAINT fk_api_tokens_user FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT uq_api_tokens_token_hash UNIQUE (token_hash),
    CONSTRAINT chk_api_tokens_token_hash CHECK (octet_length(token_hash) = 32),
    CONSTRAINT chk_api_tokens_name CHECK (length(btrim(name)) > 0)
);

CREATE INDEX idx_api_tokens_user_id ON api_tokens (user_id);
