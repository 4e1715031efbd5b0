-- Pulse's system of record. Unqualified names: the search_path selects the schema.

CREATE TABLE customers (
  customer_id   text PRIMARY KEY,
  email_hash    text,
  phone_hash    text,
  first_name    text,
  region        text,
  timezone      text NOT NULL DEFAULT 'UTC',
  signup_at     timestamptz NOT NULL,
  loyalty_tier  text NOT NULL DEFAULT 'none',
  age_band      text,
  -- Source-specific attributes (e.g. the Hillstrom history fields); never PII.
  attributes    jsonb NOT NULL DEFAULT '{}',
  updated_at    timestamptz NOT NULL DEFAULT now()
);

-- Consent history: every record is kept; the latest per (customer, channel, purpose) is in force.
CREATE TABLE consents (
  customer_id  text NOT NULL,
  channel      text NOT NULL CHECK (channel IN ('email', 'sms', 'push', 'in_app')),
  purpose      text NOT NULL CHECK (purpose IN ('marketing', 'transactional')),
  status       text NOT NULL CHECK (status IN ('granted', 'revoked')),
  source       text,
  recorded_at  timestamptz NOT NULL,
  PRIMARY KEY (customer_id, channel, purpose, recorded_at)
);
CREATE VIEW consents_current AS
  SELECT DISTINCT ON (customer_id, channel, purpose) customer_id, channel, purpose, status, source, recorded_at
  FROM consents
  ORDER BY customer_id, channel, purpose, recorded_at DESC;

CREATE TABLE suppressions (
  customer_id  text NOT NULL,
  channel      text NOT NULL CHECK (channel IN ('email', 'sms', 'push', 'in_app', 'all')),
  reason       text NOT NULL,
  added_at     timestamptz NOT NULL,
  PRIMARY KEY (customer_id, channel)
);

CREATE TABLE orders (
  order_id     text PRIMARY KEY,
  customer_id  text NOT NULL,
  ordered_at   timestamptz NOT NULL,
  channel      text NOT NULL CHECK (channel IN ('web', 'app', 'store'))
);
CREATE INDEX orders_customer_idx ON orders (customer_id, ordered_at);

CREATE TABLE order_lines (
  order_id    text NOT NULL,
  line_no     integer NOT NULL,
  sku         text,
  category    text NOT NULL,
  quantity    integer NOT NULL,
  unit_price  numeric(14, 4) NOT NULL,
  discount    numeric(14, 4) NOT NULL DEFAULT 0,
  margin      numeric(14, 4),
  status      text NOT NULL CHECK (status IN ('completed', 'returned', 'cancelled')),
  PRIMARY KEY (order_id, line_no)
);

CREATE TABLE events (
  event_id     text PRIMARY KEY,
  customer_id  text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  type         text NOT NULL,
  category     text,
  sku          text
);
CREATE INDEX events_customer_idx ON events (customer_id, occurred_at);

-- Messages Pulse sends. The dedupe key (cycle, campaign, customer, channel) makes a second send impossible.
CREATE TABLE messages (
  message_id   text PRIMARY KEY,
  dedupe_key   text NOT NULL UNIQUE,
  cycle_id     text NOT NULL,
  campaign_id  text NOT NULL,
  customer_id  text NOT NULL,
  channel      text NOT NULL,
  strategy     text NOT NULL,
  offer_depth  numeric(5, 4) NOT NULL DEFAULT 0,
  template_id  text,
  variant_id   text,
  content      jsonb,
  status       text NOT NULL DEFAULT 'queued',
  created_at   timestamptz NOT NULL DEFAULT now(),
  sent_at      timestamptz
);
CREATE INDEX messages_customer_idx ON messages (customer_id, sent_at);
CREATE INDEX messages_cycle_idx ON messages (cycle_id);

-- Engagement with any message, Pulse's or historical ones from other systems.
CREATE TABLE message_responses (
  message_id   text NOT NULL,
  type         text NOT NULL CHECK (type IN ('delivered', 'open', 'click', 'conversion', 'unsubscribe', 'bounce')),
  customer_id  text NOT NULL,
  channel      text NOT NULL,
  occurred_at  timestamptz NOT NULL,
  campaign_id  text,
  revenue      numeric(14, 4),
  PRIMARY KEY (message_id, type)
);
CREATE INDEX message_responses_customer_idx ON message_responses (customer_id, occurred_at);

CREATE TABLE inventory (
  category    text PRIMARY KEY,
  in_stock    boolean NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE segment_runs (
  run_id          text PRIMARY KEY,
  as_of           timestamptz NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now(),
  k               integer NOT NULL,
  silhouette      double precision,
  davies_bouldin  double precision,
  params          jsonb NOT NULL DEFAULT '{}',
  report          jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE segments (
  run_id      text NOT NULL REFERENCES segment_runs (run_id),
  segment_id  text NOT NULL,
  name        text NOT NULL,
  size        integer NOT NULL,
  centroid    jsonb NOT NULL,
  profile     jsonb NOT NULL,
  PRIMARY KEY (run_id, segment_id)
);
CREATE TABLE segment_memberships (
  run_id       text NOT NULL REFERENCES segment_runs (run_id),
  customer_id  text NOT NULL,
  segment_id   text NOT NULL,
  is_outlier   boolean NOT NULL DEFAULT false,
  PRIMARY KEY (run_id, customer_id)
);

CREATE TABLE score_runs (
  run_id      text PRIMARY KEY,
  model       text NOT NULL,
  version     text NOT NULL,
  as_of       timestamptz NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now(),
  metrics     jsonb NOT NULL DEFAULT '{}',
  params      jsonb NOT NULL DEFAULT '{}'
);
CREATE TABLE scores (
  run_id       text NOT NULL REFERENCES score_runs (run_id),
  customer_id  text NOT NULL,
  value        double precision NOT NULL,
  detail       jsonb,
  PRIMARY KEY (run_id, customer_id)
);

CREATE TABLE cycles (
  cycle_id      text PRIMARY KEY,
  status        text NOT NULL,
  requested_by  text NOT NULL,
  as_of         timestamptz NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT now(),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  plan          jsonb,
  summary       jsonb
);

-- What the plan decided for each customer it considered, and why (the audit explains from this too).
CREATE TABLE cycle_targets (
  cycle_id          text NOT NULL REFERENCES cycles (cycle_id),
  customer_id       text NOT NULL,
  segment_id        text NOT NULL,
  strategy          text NOT NULL,
  channel           text,
  offer_depth       numeric(5, 4) NOT NULL DEFAULT 0,
  campaign_id       text,
  decision          text NOT NULL CHECK (decision IN ('contact', 'skip')),
  predicted_uplift  double precision,
  expected_value    double precision,
  reasons           jsonb NOT NULL DEFAULT '[]',
  -- The feature vector the decision used, so learning can pair it with the outcome.
  features          real[],
  PRIMARY KEY (cycle_id, customer_id)
);

CREATE TABLE experiments (
  experiment_id   text PRIMARY KEY,
  cycle_id        text REFERENCES cycles (cycle_id),
  -- Where the randomization came from: 'pulse' (salted hash) or an external source.
  source          text NOT NULL DEFAULT 'pulse',
  started_at      timestamptz,
  name            text NOT NULL,
  salt            text NOT NULL,
  holdout_shares  jsonb NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE holdout_assignments (
  experiment_id  text NOT NULL REFERENCES experiments (experiment_id),
  customer_id    text NOT NULL,
  segment_id     text,
  arm            text NOT NULL CHECK (arm IN ('treatment', 'holdout', 'global_control')),
  -- The salted-hash bucket in [0, 1); NULL for experiments assigned outside Pulse (e.g. Hillstrom).
  bucket         double precision,
  PRIMARY KEY (experiment_id, customer_id)
);
-- Per-customer outcomes of an experiment over its attribution window, treated and held out alike.
CREATE TABLE experiment_outcomes (
  experiment_id  text NOT NULL REFERENCES experiments (experiment_id),
  customer_id    text NOT NULL,
  visited        boolean,
  converted      boolean NOT NULL,
  revenue        numeric(14, 4) NOT NULL DEFAULT 0,
  margin         numeric(14, 4),
  unsubscribed   boolean NOT NULL DEFAULT false,
  observed_at    timestamptz NOT NULL,
  PRIMARY KEY (experiment_id, customer_id)
);

CREATE TABLE approvals (
  approval_id   text PRIMARY KEY,
  cycle_id      text NOT NULL REFERENCES cycles (cycle_id),
  requested_by  text NOT NULL,
  risk          jsonb NOT NULL,
  decision      text CHECK (decision IN ('approved', 'rejected', 'expired')),
  decided_by    text,
  reason        text,
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz NOT NULL,
  decided_at    timestamptz,
  CHECK (decided_by IS NULL OR decided_by <> requested_by)
);

-- Append-only, hash-chained audit log: each entry's hash covers the previous hash and the entry.
CREATE TABLE audit_log (
  seq          bigserial PRIMARY KEY,
  at           timestamptz NOT NULL,
  kind         text NOT NULL,
  actor        text NOT NULL,
  cycle_id     text,
  customer_id  text,
  entry        jsonb NOT NULL,
  prev_hash    text NOT NULL,
  hash         text NOT NULL UNIQUE
);
CREATE INDEX audit_log_customer_idx ON audit_log (customer_id) WHERE customer_id IS NOT NULL;
CREATE INDEX audit_log_cycle_idx ON audit_log (cycle_id) WHERE cycle_id IS NOT NULL;
CREATE FUNCTION audit_log_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP;
END
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION audit_log_refuse_change();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
  FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse_change();

-- Ingestion bookkeeping.
CREATE TABLE ingest_loads (
  load_id      bigserial PRIMARY KEY,
  kind         text NOT NULL,
  file_name    text NOT NULL,
  format       text NOT NULL,
  started_at   timestamptz NOT NULL DEFAULT now(),
  finished_at  timestamptz,
  status       text NOT NULL DEFAULT 'running',
  rows_read    bigint NOT NULL DEFAULT 0,
  inserted     bigint NOT NULL DEFAULT 0,
  updated      bigint NOT NULL DEFAULT 0,
  unchanged    bigint NOT NULL DEFAULT 0,
  quarantined  bigint NOT NULL DEFAULT 0
);
CREATE TABLE ingest_quarantine (
  id          bigserial PRIMARY KEY,
  load_id     bigint NOT NULL REFERENCES ingest_loads (load_id),
  kind        text NOT NULL,
  file_name   text NOT NULL,
  line_no     bigint NOT NULL,
  raw         text NOT NULL,
  reason      text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ingest_quarantine_load_idx ON ingest_quarantine (load_id, line_no);
-- Re-loading the same file does not quarantine the same line twice.
CREATE UNIQUE INDEX ingest_quarantine_line_idx ON ingest_quarantine (kind, file_name, line_no, md5(raw));
-- Keys seen so far in a running load, so a duplicate line is caught in constant process memory.
CREATE UNLOGGED TABLE ingest_seen (
  load_id  bigint NOT NULL,
  key      text NOT NULL,
  PRIMARY KEY (load_id, key)
);
