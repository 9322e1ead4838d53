-- Amazcope schema, version 1: every table and column of ../shared/spec/SCHEMA.md with the
-- stronger rules of DATABASE_DESIGN.md (JSONB, named constraints, partial/GIN indexes, check
-- constraints, timestamptz everywhere, database-generated UUIDs, database-maintained
-- updated_at, monthly partitions of product_snapshots), plus the intent fixes listed in
-- issue 2 (fetch lease columns, target price, alert/notification links, suggestion owner).
--
-- Naming (DATABASE_DESIGN.md "Naming Conventions"): pk_{table}, fk_{table}_{column},
-- uq_{table}_{columns}, chk_{table}_{column}, idx_{table}_{cols}[_{cond}]. Where the design
-- gives an exact name (uq_product_asin_marketplace, uq_user_product, uq_user_settings_user,
-- uq_category_marketplace, idx_alerts_user_unread, ...) that name wins. amazcope-pg maps
-- database errors to domain errors by these names, so renaming one is a breaking change.

-- The design's ADR-003 creates uuid-ossp; we keep the extension for parity with it, but ids
-- come from gen_random_uuid(), built into PostgreSQL since 13, so nothing depends on it.
CREATE EXTENSION IF NOT EXISTS "uuid-ossp";

-- The original never refreshed updated_at (SCHEMA.md 6.7), which silently limited the daily
-- scrape. The database maintains it now. An UPDATE that sets updated_at itself keeps its value
-- (imports, and partition upkeep restoring rows it had to move); any other UPDATE gets now().
CREATE FUNCTION set_updated_at() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END;
$$;

-- Native enum types exist only for the optimisation tables, as in the original; the values
-- are those of amazcope-core's enums (model/enums.rs). 'expired' is new (suggestions that
-- lapse); actionstatus keeps the original's 'reviewed' beside core's values.
CREATE TYPE suggestionpriority AS ENUM ('low', 'medium', 'high');
CREATE TYPE suggestioncategory AS ENUM ('pricing', 'content', 'tracking');
CREATE TYPE suggestionstatus AS ENUM
    ('pending', 'reviewed', 'approved', 'rejected', 'partially_approved', 'expired');
CREATE TYPE actiontype AS ENUM (
    'update_price', 'update_title', 'update_description', 'update_brand', 'update_category',
    'update_features', 'update_images', 'adjust_price_threshold', 'adjust_bsr_threshold',
    'toggle_tracking');
CREATE TYPE actionstatus AS ENUM
    ('pending', 'reviewed', 'approved', 'applied', 'rejected', 'failed');

-- ---------------------------------------------------------------------------------------
-- users
-- ---------------------------------------------------------------------------------------
CREATE TABLE users (
    id                    uuid         NOT NULL DEFAULT gen_random_uuid(),
    email                 varchar(255) NOT NULL,
    username              varchar(100) NOT NULL,
    hashed_password       varchar(255) NOT NULL,
    full_name             varchar(255),
    is_active             boolean      NOT NULL DEFAULT true,
    is_superuser          boolean      NOT NULL DEFAULT false,
    is_verified           boolean      NOT NULL DEFAULT false,
    failed_login_attempts integer      NOT NULL DEFAULT 0,
    account_locked_until  timestamptz,
    last_login_at         timestamptz,
    last_login_ip         varchar(45),
    last_failed_login_at  timestamptz,
    created_at            timestamptz  NOT NULL DEFAULT now(),
    updated_at            timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_users PRIMARY KEY (id),
    -- The original had unique indexes ix_users_email / ix_users_username; named constraints
    -- let a duplicate be reported as "email taken" rather than a generic conflict.
    CONSTRAINT uq_users_email UNIQUE (email),
    CONSTRAINT uq_users_username UNIQUE (username),
    CONSTRAINT chk_users_failed_login_attempts CHECK (failed_login_attempts >= 0)
);

-- ---------------------------------------------------------------------------------------
-- user_settings (1:1 with users)
-- ---------------------------------------------------------------------------------------
CREATE TABLE user_settings (
    id                          uuid             NOT NULL DEFAULT gen_random_uuid(),
    user_id                     uuid             NOT NULL,
    email_notifications_enabled boolean          NOT NULL DEFAULT true,
    price_alert_emails          boolean          NOT NULL DEFAULT true,
    bsr_alert_emails            boolean          NOT NULL DEFAULT true,
    stock_alert_emails          boolean          NOT NULL DEFAULT true,
    daily_summary_emails        boolean          NOT NULL DEFAULT false,
    weekly_report_emails        boolean          NOT NULL DEFAULT false,
    default_price_threshold     double precision NOT NULL DEFAULT 10.0,
    default_bsr_threshold       double precision NOT NULL DEFAULT 30.0,
    theme                       varchar(20)      NOT NULL DEFAULT 'light',
    language                    varchar(10)      NOT NULL DEFAULT 'en',
    timezone                    varchar(50)      NOT NULL DEFAULT 'UTC',
    date_format                 varchar(20)      NOT NULL DEFAULT 'YYYY-MM-DD',
    currency_display            varchar(10)      NOT NULL DEFAULT 'USD',
    products_per_page           integer          NOT NULL DEFAULT 20,
    default_sort_by             varchar(50)      NOT NULL DEFAULT 'created_at',
    default_sort_order          varchar(10)      NOT NULL DEFAULT 'desc',
    show_inactive_products      boolean          NOT NULL DEFAULT false,
    auto_refresh_dashboard      boolean          NOT NULL DEFAULT true,
    refresh_interval_minutes    integer          NOT NULL DEFAULT 5,
    share_analytics             boolean          NOT NULL DEFAULT false,
    created_at                  timestamptz      NOT NULL DEFAULT now(),
    updated_at                  timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT pk_user_settings PRIMARY KEY (id),
    CONSTRAINT fk_user_settings_user_id FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT uq_user_settings_user UNIQUE (user_id),
    -- The ranges below are the original's API rules (SettingsPatch::validate in core), held
    -- by the database too so no code path can store what the API would refuse.
    CONSTRAINT chk_user_settings_default_price_threshold
        CHECK (default_price_threshold >= 0 AND default_price_threshold <= 100),
    CONSTRAINT chk_user_settings_default_bsr_threshold
        CHECK (default_bsr_threshold >= 0 AND default_bsr_threshold <= 100),
    CONSTRAINT chk_user_settings_theme CHECK (theme IN ('light', 'dark', 'auto')),
    CONSTRAINT chk_user_settings_default_sort_order
        CHECK (default_sort_order IN ('asc', 'desc')),
    CONSTRAINT chk_user_settings_products_per_page
        CHECK (products_per_page BETWEEN 10 AND 100),
    CONSTRAINT chk_user_settings_refresh_interval_minutes
        CHECK (refresh_interval_minutes BETWEEN 1 AND 60)
);

-- ---------------------------------------------------------------------------------------
-- products
-- ---------------------------------------------------------------------------------------
CREATE TABLE products (
    id                      uuid             NOT NULL DEFAULT gen_random_uuid(),
    asin                    varchar(10)      NOT NULL,
    marketplace             varchar(10)      NOT NULL DEFAULT 'com',
    title                   varchar(500)     NOT NULL,
    brand                   varchar(200),
    manufacturer            varchar(200),
    category                varchar(200),
    small_category          varchar(200),
    bsr_category_link       varchar(500),
    bsr_subcategory_link    varchar(500),
    amazons_choice_keywords jsonb,
    has_amazons_choice      boolean          NOT NULL DEFAULT false,
    product_dimensions      jsonb,
    item_weight             varchar(100),
    model_number            varchar(100),
    has_variations          boolean          NOT NULL DEFAULT false,
    variation_types         jsonb,
    total_variations        integer          NOT NULL DEFAULT 0,
    url                     varchar(1000)    NOT NULL,
    image_url               varchar(1000),
    seller_store_url        varchar(1000),
    product_description     text,
    features                jsonb,
    product_overview        jsonb,
    technical_details       jsonb,
    rating                  double precision,
    review_count            integer,
    current_price           numeric(10,2),
    original_price          numeric(10,2),
    currency                varchar(3)       NOT NULL DEFAULT 'USD',
    discount_percentage     double precision,
    current_bsr             integer,
    bsr_category_name       varchar(200),
    in_stock                boolean          NOT NULL DEFAULT true,
    stock_status            varchar(50),
    is_prime                boolean          NOT NULL DEFAULT false,
    seller_name             varchar(255),
    is_amazon_seller        boolean          NOT NULL DEFAULT false,
    is_fba                  boolean          NOT NULL DEFAULT false,
    last_snapshot_at        timestamptz,
    is_active               boolean          NOT NULL DEFAULT true,
    track_frequency         varchar(20)      NOT NULL DEFAULT 'daily',
    price_change_threshold  double precision NOT NULL DEFAULT 10.0,
    bsr_change_threshold    double precision NOT NULL DEFAULT 30.0,
    created_by_id           uuid,
    is_competitor           boolean          NOT NULL DEFAULT false,
    is_unlisted             boolean          NOT NULL DEFAULT false,
    unlisted_at             timestamptz,
    -- Added (issue 2): refresh scheduling with a lease, so several workers can share the
    -- queue without fetching one product twice, and the outcome of the last fetch.
    next_refresh_at         timestamptz,
    lease_owner             varchar(100),
    lease_expires_at        timestamptz,
    last_fetch_status       varchar(20),
    last_fetch_at           timestamptz,
    last_fetch_error        text,
    created_at              timestamptz      NOT NULL DEFAULT now(),
    updated_at              timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT pk_products PRIMARY KEY (id),
    CONSTRAINT fk_products_created_by_id FOREIGN KEY (created_by_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT uq_product_asin_marketplace UNIQUE (asin, marketplace),
    CONSTRAINT chk_products_asin CHECK (asin ~ '^[A-Z0-9]{10}$'),
    -- Marketplace::ALL in amazcope-core/src/marketplace.rs; a new marketplace needs a
    -- migration that widens this list (and the one on categories).
    CONSTRAINT chk_products_marketplace CHECK (marketplace IN (
        'com', 'co.uk', 'de', 'fr', 'it', 'es', 'co.jp', 'in', 'ca', 'com.au', 'com.mx',
        'com.br', 'nl', 'sg', 'ae', 'sa', 'se', 'pl', 'com.tr', 'com.be', 'eg', 'cn')),
    CONSTRAINT chk_products_rating CHECK (rating IS NULL OR (rating >= 0 AND rating <= 5)),
    CONSTRAINT chk_products_review_count CHECK (review_count IS NULL OR review_count >= 0),
    CONSTRAINT chk_products_current_price CHECK (current_price IS NULL OR current_price >= 0),
    CONSTRAINT chk_products_original_price
        CHECK (original_price IS NULL OR original_price >= 0),
    CONSTRAINT chk_products_currency CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT chk_products_total_variations CHECK (total_variations >= 0),
    CONSTRAINT chk_products_track_frequency CHECK (track_frequency IN ('daily', 'hourly')),
    CONSTRAINT chk_products_price_change_threshold
        CHECK (price_change_threshold >= 0 AND price_change_threshold <= 100),
    CONSTRAINT chk_products_bsr_change_threshold
        CHECK (bsr_change_threshold >= 0 AND bsr_change_threshold <= 100),
    CONSTRAINT chk_products_last_fetch_status CHECK (last_fetch_status IS NULL OR
        last_fetch_status IN ('ok', 'captcha', 'not_found', 'failed', 'parse_error'))
);
-- idx_products_asin_marketplace of the design is left out: uq_product_asin_marketplace
-- already is a btree on (asin, marketplace), and it also serves lookups by asin alone.
CREATE INDEX idx_products_marketplace ON products (marketplace);
CREATE INDEX idx_products_created_by_id ON products (created_by_id);
CREATE INDEX idx_products_features ON products USING GIN (features);
CREATE INDEX idx_products_amazons_choice ON products USING GIN (amazons_choice_keywords);
CREATE INDEX idx_products_active ON products (id) WHERE is_active;
CREATE INDEX idx_products_unlisted ON products (unlisted_at) WHERE is_unlisted;
-- The refresh queue reads "active products due by now, oldest first".
CREATE INDEX idx_products_next_refresh ON products (next_refresh_at) WHERE is_active;

-- ---------------------------------------------------------------------------------------
-- user_products: who tracks what, with per-user thresholds
-- ---------------------------------------------------------------------------------------
CREATE TABLE user_products (
    id                     uuid             NOT NULL DEFAULT gen_random_uuid(),
    user_id                uuid             NOT NULL,
    product_id             uuid             NOT NULL,
    claimed_at             timestamptz      NOT NULL DEFAULT now(),
    is_active              boolean          NOT NULL DEFAULT true,
    is_primary             boolean          NOT NULL DEFAULT false,
    price_change_threshold double precision,
    bsr_change_threshold   double precision,
    notes                  text,
    -- Added (issue 2): alert when the price reaches this (target_price_reached).
    target_price           numeric(10,2),
    created_at             timestamptz      NOT NULL DEFAULT now(),
    updated_at             timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT pk_user_products PRIMARY KEY (id),
    CONSTRAINT fk_user_products_user_id FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_user_products_product_id FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT uq_user_product UNIQUE (user_id, product_id),
    CONSTRAINT chk_user_products_price_change_threshold CHECK (price_change_threshold IS NULL
        OR (price_change_threshold >= 0 AND price_change_threshold <= 100)),
    CONSTRAINT chk_user_products_bsr_change_threshold CHECK (bsr_change_threshold IS NULL
        OR (bsr_change_threshold >= 0 AND bsr_change_threshold <= 100)),
    CONSTRAINT chk_user_products_target_price CHECK (target_price IS NULL OR target_price >= 0)
);
-- The design writes this index with "WHERE product_id IN (SELECT id FROM products WHERE
-- is_active)", which PostgreSQL refuses: an index predicate may not contain a subquery or
-- read another table. The per-user flag is the closest legal predicate; queries that also
-- need products.is_active join through idx_products_active.
CREATE INDEX idx_user_products_user_active ON user_products (user_id) WHERE is_active;
CREATE INDEX idx_user_products_product_id ON user_products (product_id);

-- ---------------------------------------------------------------------------------------
-- product_snapshots: the time series, range-partitioned by month on scraped_at
-- ---------------------------------------------------------------------------------------
-- A primary key or unique constraint on a partitioned table must contain the partition key,
-- hence pk_product_snapshots (id, scraped_at). Monthly partitions are named
-- product_snapshots_YYYY_MM and made by this migration (below) and by the partition upkeep
-- call (amazcope_pg::partitions); product_snapshots_default catches rows outside them, so an
-- insert never fails for want of a partition.
CREATE TABLE product_snapshots (
    id                      uuid             NOT NULL DEFAULT gen_random_uuid(),
    product_id              uuid             NOT NULL,
    scraped_at              timestamptz      NOT NULL DEFAULT now(),
    price                   numeric(10,2),
    original_price          numeric(10,2),
    buybox_price            numeric(10,2),
    currency                varchar(3)       NOT NULL DEFAULT 'USD',
    discount_percentage     double precision,
    bsr_main_category       integer,
    bsr_small_category      integer,
    main_category_name      varchar(200),
    small_category_name     varchar(200),
    rating                  double precision,
    -- NULLable (the original wrote 0 when the page showed no count): unknown is not zero, and
    -- a made-up 0 would fire review alerts.
    review_count            integer,
    in_stock                boolean          NOT NULL DEFAULT true,
    stock_quantity          integer,
    stock_status            varchar(100),
    seller_name             varchar(200),
    seller_id               varchar(100),
    seller_store_url        varchar(1000),
    is_amazon_seller        boolean          NOT NULL DEFAULT false,
    is_fba                  boolean          NOT NULL DEFAULT false,
    fulfilled_by            varchar(200),
    coupon_text             varchar(500),
    coupon_available        boolean          NOT NULL DEFAULT false,
    deal_type               varchar(100),
    is_deal                 boolean          NOT NULL DEFAULT false,
    is_prime                boolean          NOT NULL DEFAULT false,
    amazons_choice_keywords jsonb,
    has_amazons_choice      boolean          NOT NULL DEFAULT false,
    past_sales              varchar(200),
    delivery_message        varchar(500),
    product_type            varchar(50),
    is_used                 boolean          NOT NULL DEFAULT false,
    category_avg_price      numeric(10,2),
    category_avg_rating     double precision,
    category_avg_reviews    integer,
    created_at              timestamptz      NOT NULL DEFAULT now(),
    updated_at              timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT pk_product_snapshots PRIMARY KEY (id, scraped_at),
    CONSTRAINT fk_product_snapshots_product_id FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE CASCADE,
    -- Idempotent ingest: the same page stored twice (same product, same scraped_at) keeps one
    -- row (INSERT .. ON CONFLICT ON CONSTRAINT uq_product_snapshots_product_scraped).
    CONSTRAINT uq_product_snapshots_product_scraped UNIQUE (product_id, scraped_at),
    -- The design asks for scraped_at <= now(). A day of slack absorbs clock skew between the
    -- scraping host and the database, which would otherwise reject fresh snapshots. The check
    -- runs only when a row is written, so now() moving on never invalidates stored rows.
    CONSTRAINT chk_product_snapshots_scraped_at
        CHECK (scraped_at >= '2024-01-01 00:00:00+00' AND scraped_at <= now() + interval '1 day'),
    CONSTRAINT chk_product_snapshots_rating
        CHECK (rating IS NULL OR (rating >= 0 AND rating <= 5)),
    CONSTRAINT chk_product_snapshots_review_count
        CHECK (review_count IS NULL OR review_count >= 0),
    CONSTRAINT chk_product_snapshots_price CHECK (price IS NULL OR price >= 0),
    CONSTRAINT chk_product_snapshots_original_price
        CHECK (original_price IS NULL OR original_price >= 0),
    CONSTRAINT chk_product_snapshots_buybox_price
        CHECK (buybox_price IS NULL OR buybox_price >= 0),
    CONSTRAINT chk_product_snapshots_category_avg_price
        CHECK (category_avg_price IS NULL OR category_avg_price >= 0),
    CONSTRAINT chk_product_snapshots_category_avg_rating
        CHECK (category_avg_rating IS NULL OR (category_avg_rating >= 0 AND category_avg_rating <= 5)),
    CONSTRAINT chk_product_snapshots_currency CHECK (currency ~ '^[A-Z]{3}$')
) PARTITION BY RANGE (scraped_at);

CREATE INDEX idx_snapshots_product_recent ON product_snapshots (product_id, scraped_at DESC);

CREATE TABLE product_snapshots_default PARTITION OF product_snapshots DEFAULT;

-- Monthly partitions from 2024-01 (the earliest scraped_at the check allows) to three months
-- ahead of the day the migration runs; the upkeep call extends the horizon from then on.
DO $$
DECLARE
    m date := date '2024-01-01';
    last_month date := (date_trunc('month', now() AT TIME ZONE 'UTC') + interval '3 months')::date;
BEGIN
    WHILE m <= last_month LOOP
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF product_snapshots FOR VALUES FROM (%L) TO (%L)',
            'product_snapshots_' || to_char(m, 'YYYY_MM'),
            to_char(m, 'YYYY-MM-DD') || ' 00:00:00+00',
            to_char(m + interval '1 month', 'YYYY-MM-DD') || ' 00:00:00+00');
        m := (m + interval '1 month')::date;
    END LOOP;
END;
$$;

-- ---------------------------------------------------------------------------------------
-- reviews
-- ---------------------------------------------------------------------------------------
CREATE TABLE reviews (
    id                uuid             NOT NULL DEFAULT gen_random_uuid(),
    product_id        uuid             NOT NULL,
    review_id         varchar(100)     NOT NULL,
    reviewer_name     varchar(200),
    rating            double precision NOT NULL,
    title             varchar(500),
    text              text,
    review_date       timestamptz,
    verified_purchase boolean          NOT NULL DEFAULT false,
    helpful_count     integer          NOT NULL DEFAULT 0,
    -- Added (issue 2): the variant line of a review ("Size: L, Colour: Blue").
    variant           varchar(500),
    created_at        timestamptz      NOT NULL DEFAULT now(),
    updated_at        timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT pk_reviews PRIMARY KEY (id),
    CONSTRAINT fk_reviews_product_id FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE CASCADE,
    -- Amazon review ids are global, as in the original (reviews_review_id_key).
    CONSTRAINT uq_reviews_review_id UNIQUE (review_id),
    CONSTRAINT chk_reviews_rating CHECK (rating >= 0 AND rating <= 5),
    CONSTRAINT chk_reviews_helpful_count CHECK (helpful_count >= 0)
);
CREATE INDEX idx_reviews_product_id ON reviews (product_id);
CREATE INDEX idx_reviews_review_date ON reviews (review_date);

-- ---------------------------------------------------------------------------------------
-- categories (a tree through parent_id)
-- ---------------------------------------------------------------------------------------
CREATE TABLE categories (
    id              uuid          NOT NULL DEFAULT gen_random_uuid(),
    category_id     varchar(100),
    marketplace     varchar(10)   NOT NULL DEFAULT 'com',
    name            varchar(200)  NOT NULL,
    url             varchar(1000),
    parent_id       uuid,
    level           integer       NOT NULL DEFAULT 0,
    product_count   integer       NOT NULL DEFAULT 0,
    last_scraped_at timestamptz,
    created_at      timestamptz   NOT NULL DEFAULT now(),
    updated_at      timestamptz   NOT NULL DEFAULT now(),
    CONSTRAINT pk_categories PRIMARY KEY (id),
    CONSTRAINT fk_categories_parent_id FOREIGN KEY (parent_id)
        REFERENCES categories (id) ON DELETE SET NULL,
    -- NULL category_ids never collide here; uq_categories_marketplace_parent_name covers them.
    CONSTRAINT uq_category_marketplace UNIQUE (category_id, marketplace),
    CONSTRAINT chk_categories_marketplace CHECK (marketplace IN (
        'com', 'co.uk', 'de', 'fr', 'it', 'es', 'co.jp', 'in', 'ca', 'com.au', 'com.mx',
        'com.br', 'nl', 'sg', 'ae', 'sa', 'se', 'pl', 'com.tr', 'com.be', 'eg', 'cn')),
    CONSTRAINT chk_categories_level CHECK (level >= 0),
    CONSTRAINT chk_categories_product_count CHECK (product_count >= 0)
);
-- A category without an Amazon id is identified by its place in the tree. COALESCE maps a
-- missing parent to the nil UUID because NULLs are distinct in a unique index.
CREATE UNIQUE INDEX uq_categories_marketplace_parent_name ON categories
    (marketplace, COALESCE(parent_id, '00000000-0000-0000-0000-000000000000'::uuid), name)
    WHERE category_id IS NULL;
CREATE INDEX idx_categories_parent_id ON categories (parent_id);

-- ---------------------------------------------------------------------------------------
-- bestseller_snapshots
-- ---------------------------------------------------------------------------------------
CREATE TABLE bestseller_snapshots (
    id           uuid             NOT NULL DEFAULT gen_random_uuid(),
    category_id  uuid             NOT NULL,
    scraped_at   timestamptz      NOT NULL,
    rank         integer          NOT NULL,
    asin         varchar(10)      NOT NULL,
    title        varchar(500),
    price        numeric(10,2),
    rating       double precision,
    review_count integer,
    image_url    varchar(1000),
    -- Added (issue 2): the tracked product this entry is, when there is one (the original
    -- joined on asin only), and the currency of price.
    product_id   uuid,
    currency     varchar(3),
    created_at   timestamptz      NOT NULL DEFAULT now(),
    updated_at   timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT pk_bestseller_snapshots PRIMARY KEY (id),
    CONSTRAINT fk_bestseller_snapshots_category_id FOREIGN KEY (category_id)
        REFERENCES categories (id) ON DELETE CASCADE,
    CONSTRAINT fk_bestseller_snapshots_product_id FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE SET NULL,
    -- One entry per rank per list scrape; re-ingesting the same list is a no-op.
    CONSTRAINT uq_bestseller_snapshots_category_scraped_rank UNIQUE (category_id, scraped_at, rank),
    CONSTRAINT chk_bestseller_snapshots_asin CHECK (asin ~ '^[A-Z0-9]{10}$'),
    CONSTRAINT chk_bestseller_snapshots_rank CHECK (rank >= 1),
    CONSTRAINT chk_bestseller_snapshots_rating
        CHECK (rating IS NULL OR (rating >= 0 AND rating <= 5)),
    CONSTRAINT chk_bestseller_snapshots_price CHECK (price IS NULL OR price >= 0),
    CONSTRAINT chk_bestseller_snapshots_review_count
        CHECK (review_count IS NULL OR review_count >= 0),
    CONSTRAINT chk_bestseller_snapshots_currency CHECK (currency IS NULL OR currency ~ '^[A-Z]{3}$')
);
-- Every read of the original filtered by asin, and it had no index for it (SCHEMA.md).
CREATE INDEX idx_bestseller_snapshots_asin ON bestseller_snapshots (asin);
CREATE INDEX idx_bestseller_snapshots_product_id ON bestseller_snapshots (product_id);
CREATE INDEX idx_bestseller_snapshots_scraped_at ON bestseller_snapshots (scraped_at);

-- ---------------------------------------------------------------------------------------
-- category_metrics
-- ---------------------------------------------------------------------------------------
CREATE TABLE category_metrics (
    id               uuid             NOT NULL DEFAULT gen_random_uuid(),
    category_id      uuid             NOT NULL,
    category_level   varchar(20)      NOT NULL DEFAULT 'main',
    recorded_at      timestamptz      NOT NULL DEFAULT now(),
    avg_price        numeric(10,2),
    median_price     numeric(10,2),
    min_price        numeric(10,2),
    max_price        numeric(10,2),
    avg_bsr          integer,
    median_bsr       integer,
    avg_rating       double precision,
    avg_review_count integer,
    product_count    integer          NOT NULL DEFAULT 0,
    created_at       timestamptz      NOT NULL DEFAULT now(),
    updated_at       timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT pk_category_metrics PRIMARY KEY (id),
    CONSTRAINT fk_category_metrics_category_id FOREIGN KEY (category_id)
        REFERENCES categories (id) ON DELETE CASCADE,
    CONSTRAINT chk_category_metrics_category_level
        CHECK (category_level IN ('main', 'subcategory')),
    CONSTRAINT chk_category_metrics_rating
        CHECK (avg_rating IS NULL OR (avg_rating >= 0 AND avg_rating <= 5)),
    CONSTRAINT chk_category_metrics_avg_price CHECK (avg_price IS NULL OR avg_price >= 0),
    CONSTRAINT chk_category_metrics_median_price CHECK (median_price IS NULL OR median_price >= 0),
    CONSTRAINT chk_category_metrics_min_price CHECK (min_price IS NULL OR min_price >= 0),
    CONSTRAINT chk_category_metrics_max_price CHECK (max_price IS NULL OR max_price >= 0),
    CONSTRAINT chk_category_metrics_avg_review_count
        CHECK (avg_review_count IS NULL OR avg_review_count >= 0),
    CONSTRAINT chk_category_metrics_product_count CHECK (product_count >= 0)
);
CREATE INDEX idx_category_metrics_category_recorded ON category_metrics (category_id, recorded_at);
CREATE INDEX idx_category_metrics_recorded_at ON category_metrics (recorded_at);

-- ---------------------------------------------------------------------------------------
-- alerts
-- ---------------------------------------------------------------------------------------
CREATE TABLE alerts (
    id                  uuid             NOT NULL DEFAULT gen_random_uuid(),
    alert_type          varchar(50)      NOT NULL,
    severity            varchar(20)      NOT NULL DEFAULT 'info',
    title               varchar(200)     NOT NULL,
    message             text             NOT NULL,
    old_value           varchar(100),
    new_value           varchar(100),
    change_percentage   double precision,
    is_read             boolean          NOT NULL DEFAULT false,
    is_dismissed        boolean          NOT NULL DEFAULT false,
    notified_at         timestamptz      DEFAULT now(),
    product_id          uuid             NOT NULL,
    user_id             uuid             NOT NULL,
    snapshot_id         uuid,
    -- Added (issue 2): the partition key of the snapshot, see fk_alerts_snapshot_id.
    snapshot_scraped_at timestamptz,
    created_at          timestamptz      NOT NULL DEFAULT now(),
    updated_at          timestamptz      NOT NULL DEFAULT now(),
    CONSTRAINT pk_alerts PRIMARY KEY (id),
    CONSTRAINT fk_alerts_product_id FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT fk_alerts_user_id FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    -- A foreign key to a partitioned table must reference a unique key of it, and every unique
    -- key there contains the partition key (scraped_at). So the alert carries the snapshot's
    -- scraped_at beside its id and the key references pk_product_snapshots (id, scraped_at).
    -- ON DELETE SET NULL then clears BOTH columns, so an alert outlives its snapshot (deleted,
    -- or its month dropped by partition upkeep, which clears these columns first) exactly as
    -- the design's "SET NULL for alerts.snapshot_id" asks.
    CONSTRAINT fk_alerts_snapshot_id FOREIGN KEY (snapshot_id, snapshot_scraped_at)
        REFERENCES product_snapshots (id, scraped_at) ON DELETE SET NULL,
    -- MATCH SIMPLE would skip the foreign-key check if only one of the pair were NULL; this
    -- keeps the pair all-or-nothing.
    CONSTRAINT chk_alerts_snapshot_scraped_at
        CHECK ((snapshot_id IS NULL) = (snapshot_scraped_at IS NULL)),
    -- One alert of a kind per user per snapshot: re-running the rules is idempotent.
    CONSTRAINT uq_alerts_user_snapshot_type UNIQUE (user_id, snapshot_id, alert_type),
    CONSTRAINT chk_alerts_alert_type CHECK (alert_type IN (
        'price_change', 'bsr_change', 'rating_drop', 'review_spike', 'out_of_stock',
        'back_in_stock', 'unlisted', 'amazons_choice_lost', 'amazons_choice_gained',
        'target_price_reached')),
    CONSTRAINT chk_alerts_severity CHECK (severity IN ('info', 'warning', 'critical'))
);
CREATE INDEX idx_alerts_user_unread ON alerts (user_id, is_read, created_at DESC);
CREATE INDEX idx_alerts_product_created ON alerts (product_id, created_at);
-- Serves the SET NULL action when a snapshot goes and the clearing before a partition drop.
CREATE INDEX idx_alerts_snapshot ON alerts (snapshot_scraped_at, snapshot_id);

-- ---------------------------------------------------------------------------------------
-- notifications
-- ---------------------------------------------------------------------------------------
CREATE TABLE notifications (
    id                uuid         NOT NULL DEFAULT gen_random_uuid(),
    user_id           uuid         NOT NULL,
    product_id        uuid,
    -- Added (issue 2): the alert this notification was made from.
    alert_id          uuid,
    notification_type varchar(50)  NOT NULL,
    title             varchar(255) NOT NULL,
    message           text         NOT NULL,
    data              jsonb        NOT NULL DEFAULT '{}'::jsonb,
    priority          varchar(20)  NOT NULL DEFAULT 'normal',
    -- Added (issue 2): the design's partial index filters on status = 'unread'; is_read is
    -- derived from it so the two can never disagree (write status, read either).
    status            varchar(20)  NOT NULL DEFAULT 'unread',
    is_read           boolean      GENERATED ALWAYS AS (status <> 'unread') STORED,
    read_at           timestamptz,
    email_sent        boolean      NOT NULL DEFAULT false,
    email_sent_at     timestamptz,
    email_error       text,
    action_url        varchar(500),
    created_at        timestamptz  NOT NULL DEFAULT now(),
    updated_at        timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_notifications PRIMARY KEY (id),
    CONSTRAINT fk_notifications_user_id FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_notifications_product_id FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT fk_notifications_alert_id FOREIGN KEY (alert_id)
        REFERENCES alerts (id) ON DELETE SET NULL,
    CONSTRAINT chk_notifications_notification_type CHECK (notification_type IN (
        'price_change', 'bsr_change', 'stock_change', 'review_change', 'badge_change',
        'system', 'daily_summary', 'weekly_report', 'daily_report')),
    CONSTRAINT chk_notifications_priority CHECK (priority IN ('low', 'normal', 'high', 'urgent')),
    CONSTRAINT chk_notifications_status CHECK (status IN ('unread', 'read', 'archived'))
);
CREATE INDEX idx_notifications_unread ON notifications (user_id, created_at DESC)
    WHERE status = 'unread';
CREATE INDEX idx_notifications_user_created ON notifications (user_id, created_at DESC);
CREATE INDEX idx_notifications_product_id ON notifications (product_id);
CREATE INDEX idx_notifications_alert_id ON notifications (alert_id);
-- The design names this GIN index on a "metadata" column; the column is "data" (SCHEMA.md,
-- notifications), so the index is named after it.
CREATE INDEX idx_notifications_data ON notifications USING GIN (data);

-- ---------------------------------------------------------------------------------------
-- suggestions and suggestion_actions
-- ---------------------------------------------------------------------------------------
CREATE TABLE suggestions (
    id               uuid               NOT NULL DEFAULT gen_random_uuid(),
    -- Added (issue 2): suggestions belong to a user (the original's were global).
    user_id          uuid               NOT NULL,
    title            varchar(500)       NOT NULL,
    description      text               NOT NULL,
    reasoning        text               NOT NULL,
    product_id       uuid,
    priority         suggestionpriority NOT NULL DEFAULT 'medium',
    category         suggestioncategory NOT NULL,
    status           suggestionstatus   NOT NULL DEFAULT 'pending',
    reviewed_by_id   uuid,
    reviewed_at      timestamptz,
    ai_model         varchar(100)       NOT NULL DEFAULT 'gpt-4',
    confidence_score double precision,
    expires_at       timestamptz,
    estimated_impact jsonb,
    -- Added (issue 2): what makes two suggestions "the same" (e.g. rule + product), so a
    -- generator run twice does not pile up duplicates while one is pending.
    dedup_key        varchar(200)       NOT NULL,
    created_at       timestamptz        NOT NULL DEFAULT now(),
    updated_at       timestamptz        NOT NULL DEFAULT now(),
    CONSTRAINT pk_suggestions PRIMARY KEY (id),
    CONSTRAINT fk_suggestions_user_id FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE CASCADE,
    CONSTRAINT fk_suggestions_product_id FOREIGN KEY (product_id)
        REFERENCES products (id) ON DELETE CASCADE,
    CONSTRAINT fk_suggestions_reviewed_by_id FOREIGN KEY (reviewed_by_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT chk_suggestions_confidence_score
        CHECK (confidence_score IS NULL OR (confidence_score >= 0 AND confidence_score <= 1))
);
CREATE UNIQUE INDEX uq_suggestions_user_dedup_pending ON suggestions (user_id, dedup_key)
    WHERE status = 'pending';
CREATE INDEX idx_suggestions_active ON suggestions (status, priority) WHERE status = 'pending';
CREATE INDEX idx_suggestions_user_status ON suggestions (user_id, status);
CREATE INDEX idx_suggestions_product_id ON suggestions (product_id);
CREATE INDEX idx_suggestions_reviewed_by_id ON suggestions (reviewed_by_id);

CREATE TABLE suggestion_actions (
    id                 uuid         NOT NULL DEFAULT gen_random_uuid(),
    suggestion_id      uuid         NOT NULL,
    action_type        actiontype   NOT NULL,
    target_field       varchar(100) NOT NULL,
    current_value      text,
    proposed_value     text         NOT NULL,
    reasoning          text         NOT NULL,
    impact_description varchar(500),
    status             actionstatus NOT NULL DEFAULT 'pending',
    reviewed_by_id     uuid,
    reviewed_at        timestamptz,
    applied_at         timestamptz,
    applied_by_id      uuid,
    application_result text,
    error_message      text,
    created_at         timestamptz  NOT NULL DEFAULT now(),
    updated_at         timestamptz  NOT NULL DEFAULT now(),
    CONSTRAINT pk_suggestion_actions PRIMARY KEY (id),
    CONSTRAINT fk_suggestion_actions_suggestion_id FOREIGN KEY (suggestion_id)
        REFERENCES suggestions (id) ON DELETE CASCADE,
    CONSTRAINT fk_suggestion_actions_reviewed_by_id FOREIGN KEY (reviewed_by_id)
        REFERENCES users (id) ON DELETE SET NULL,
    CONSTRAINT fk_suggestion_actions_applied_by_id FOREIGN KEY (applied_by_id)
        REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX idx_suggestion_actions_suggestion_id ON suggestion_actions (suggestion_id);
CREATE INDEX idx_suggestion_actions_reviewed_by_id ON suggestion_actions (reviewed_by_id);
CREATE INDEX idx_suggestion_actions_applied_by_id ON suggestion_actions (applied_by_id);

-- ---------------------------------------------------------------------------------------
-- On every table: created_at / updated_at indexes (design, "Primary Indexes") and the
-- updated_at trigger. On product_snapshots both propagate to every partition, present and
-- future (BEFORE row triggers on partitioned tables exist since PostgreSQL 13).
-- ---------------------------------------------------------------------------------------
DO $$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY[
        'users', 'user_settings', 'products', 'user_products', 'product_snapshots', 'reviews',
        'categories', 'bestseller_snapshots', 'category_metrics', 'alerts', 'notifications',
        'suggestions', 'suggestion_actions']
    LOOP
        EXECUTE format('CREATE INDEX %I ON %I (created_at)', 'idx_' || t || '_created_at', t);
        EXECUTE format('CREATE INDEX %I ON %I (updated_at)', 'idx_' || t || '_updated_at', t);
        EXECUTE format(
            'CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION set_updated_at()',
            'trg_' || t || '_updated_at', t);
    END LOOP;
END;
$$;
