-- Issue 18: one politeness budget per marketplace for the whole fleet of workers. Each
-- request reserves the next slot of its marketplace with one atomic UPDATE ... RETURNING
-- on this row (next_slot_at advances by the spacing), so any number of worker processes on
-- any number of machines together start at most one request per spacing; a captcha seen by
-- one worker sets blocked_until and every worker's next slot comes after it.
CREATE TABLE fetch_budgets (
    marketplace   varchar(10) NOT NULL,
    next_slot_at  timestamptz NOT NULL,
    blocked_until timestamptz,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_fetch_budgets PRIMARY KEY (marketplace),
    CONSTRAINT chk_fetch_budgets_marketplace CHECK (marketplace ~ '^[a-z]{2,3}(\.[a-z]{2,3})?$')
);

COMMENT ON TABLE fetch_budgets IS
    'Fleet-wide request slots per marketplace (amazcope-pg budget.rs); rows are made on first use.';
