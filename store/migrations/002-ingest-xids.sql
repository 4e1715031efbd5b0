-- Bulk ingestion stages each batch with COPY and merges it in one statement. A load remembers the
-- transaction ids of its merges: a row whose xmin is one of them was written earlier in the same
-- load, so a later line with its key is a duplicate. Only keys that a load found unchanged still
-- go to ingest_seen.
ALTER TABLE ingest_loads ADD COLUMN xids bigint[] NOT NULL DEFAULT '{}';
