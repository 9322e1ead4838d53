-- Issue 14: alerts reach people. Channels say where a user's notifications go (e-mail or a
-- webhook); deliveries are the transactional outbox: one row per (notification, channel),
-- written in the same transaction as the notification, claimed by workers with
-- FOR UPDATE SKIP LOCKED and a lease, like the refresh queue on products.

CREATE TABLE notification_channels (
    id                 uuid          NOT NULL DEFAULT gen_random_uuid(),
    user_id            uuid          NOT NULL,
    kind               varchar(20)   NOT NULL,
    -- An e-mail address or a webhook URL (which may carry a token: masked on output).
    target             varchar(2000) NOT NULL,
    -- Webhooks only: the body's shape.
    format             varchar(20),
    -- Optional filters: the lowest priority delivered, the notification types delivered.
    min_priority       varchar(20),
    notification_types text[],
    -- Webhooks only: the HMAC-SHA256 key of X-Amazcope-Signature.
    secret             text,
    is_active          boolean       NOT NULL DEFAULT true,
    last_success_at    timestamptz,
    last_error         text,
    last_error_at      timestamptz,
    created_at         timestamptz   NOT NULL DEFAULT now(),
    updated_at         timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT pk_notification_channels PRIMARY KEY (id),
    CONSTRAINT fk_notification_channels_user_id FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT uq_notification_channels_user_kind_target UNIQUE (user_id, kind, target),
    CONSTRAINT chk_notification_channels_kind CHECK (kind IN ('email', 'webhook')),
    CONSTRAINT chk_notification_channels_format CHECK (
        (kind = 'email' AND format IS NULL AND secret IS NULL)
        OR (kind = 'webhook' AND format IN ('json', 'slack', 'discord', 'ntfy'))),
    CONSTRAINT chk_notification_channels_min_priority
        CHECK (min_priority IN ('low', 'normal', 'high', 'urgent')),
    CONSTRAINT chk_notification_channels_notification_types CHECK (notification_types <@ ARRAY[
        'price_change', 'bsr_change', 'stock_change', 'review_change', 'badge_change',
        'system', 'daily_summary', 'weekly_report', 'daily_report']::text[])
);

CREATE TABLE notification_deliveries (
    -- The delivery id is the Idempotency-Key receivers dedupe on (delivery is at least once).
    id               uuid         NOT NULL DEFAULT gen_random_uuid(),
    user_id          uuid         NOT NULL,
    notification_id  uuid         NOT NULL,
    channel_id       uuid         NOT NULL,
    status           varchar(20)  NOT NULL DEFAULT 'pending',
    attempts         integer      NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz  NOT NULL DEFAULT now(),
    lease_owner      varchar(100),
    lease_expires_at timestamptz,
    last_error       text,
    response_code    integer,
    sent_at          timestamptz,
    created_at       timestamptz  NOT NULL DEFAULT now(),
    updated_at       timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_notification_deliveries PRIMARY KEY (id),
    CONSTRAINT fk_notification_deliveries_user_id FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_notification_deliveries_notification_id FOREIGN KEY (notification_id)
        REFERENCES notifications (id) ON DELETE CASCADE,
    CONSTRAINT fk_notification_deliveries_channel_id FOREIGN KEY (channel_id)
        REFERENCES notification_channels (id) ON DELETE CASCADE,
    CONSTRAINT uq_notification_deliveries_notification_channel UNIQUE (notification_id, channel_id),
    CONSTRAINT chk_notification_deliveries_status
        CHECK (status IN ('pending', 'sent', 'failed', 'dead')),
    CONSTRAINT chk_notification_deliveries_attempts CHECK (attempts >= 0),
    CONSTRAINT chk_notification_deliveries_response_code
        CHECK (response_code BETWEEN 100 AND 599),
    CONSTRAINT chk_notification_deliveries_sent CHECK ((status = 'sent') = (sent_at IS NOT NULL))
);
-- The claim: rows still to send, oldest due first.
CREATE INDEX idx_notification_deliveries_due ON notification_deliveries (next_attempt_at)
    WHERE status IN ('pending', 'failed');
CREATE INDEX idx_notification_deliveries_user_created
    ON notification_deliveries (user_id, created_at DESC);
CREATE INDEX idx_notification_deliveries_channel_id ON notification_deliveries (channel_id);
