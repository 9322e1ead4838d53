-- Product search (issue 18): full-text search over title, brand, features and description,
-- with the text-search configuration of each product's marketplace language, and trigram
-- matching of titles for misspelled queries.
--
-- search_vector is a stored generated column: written with the row, so no write path can
-- forget it (each table keeps one writer). It is recomputed on every UPDATE of a product
-- but keeps its value when the text did not change, so the refresh updates stay HOT
-- (0006): an index blocks HOT only when its column's value changes.

-- Trusted since PostgreSQL 13: the database owner may create it.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

-- Marketplace::language in amazcope-core/src/marketplace.rs → the configuration with that
-- language's stemmer; languages PostgreSQL has none for (ja, pl, ar, zh) use 'simple'.
-- IMMUTABLE: a generated column may only call immutable functions, and the mapping is fixed
-- (changing it needs a migration that rewrites the column).
CREATE FUNCTION products_search_config(marketplace text) RETURNS regconfig
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE marketplace
        WHEN 'com' THEN 'english' WHEN 'co.uk' THEN 'english' WHEN 'in' THEN 'english'
        WHEN 'ca' THEN 'english' WHEN 'com.au' THEN 'english' WHEN 'sg' THEN 'english'
        WHEN 'ae' THEN 'english'
        WHEN 'de' THEN 'german' WHEN 'fr' THEN 'french' WHEN 'com.be' THEN 'french'
        WHEN 'it' THEN 'italian' WHEN 'es' THEN 'spanish' WHEN 'com.mx' THEN 'spanish'
        WHEN 'com.br' THEN 'portuguese' WHEN 'nl' THEN 'dutch' WHEN 'se' THEN 'swedish'
        WHEN 'com.tr' THEN 'turkish'
        ELSE 'simple'
    END::regconfig
$$;

-- The query for `query` in a marketplace's configuration; without a marketplace, the OR of
-- its forms in every configuration above (one constant tsquery, so the GIN index answers it).
CREATE FUNCTION products_search_query(query text, marketplace text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN marketplace IS NOT NULL
        THEN websearch_to_tsquery(products_search_config(marketplace), query)
        ELSE websearch_to_tsquery('english', query) || websearch_to_tsquery('german', query)
             || websearch_to_tsquery('french', query) || websearch_to_tsquery('italian', query)
             || websearch_to_tsquery('spanish', query) || websearch_to_tsquery('portuguese', query)
             || websearch_to_tsquery('dutch', query) || websearch_to_tsquery('swedish', query)
             || websearch_to_tsquery('turkish', query) || websearch_to_tsquery('simple', query)
    END
$$;

-- Weights: title A, brand B, features C, description D (ts_rank_cd ranks by them).
ALTER TABLE products ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (
    setweight(to_tsvector(products_search_config(marketplace), coalesce(title, '')), 'A')
    || setweight(to_tsvector(products_search_config(marketplace), coalesce(brand, '')), 'B')
    || setweight(jsonb_to_tsvector(products_search_config(marketplace),
                                   coalesce(features, '[]'::jsonb), '["string"]'), 'C')
    || setweight(to_tsvector(products_search_config(marketplace), coalesce(product_description, '')), 'D')
) STORED;

CREATE INDEX idx_products_search_vector ON products USING gin (search_vector);
-- Word similarity of a query to titles (`<%`), for typos.
CREATE INDEX idx_products_title_trgm ON products USING gin (lower(title) gin_trgm_ops);
