-- The guardrail policy (approval tiers, discount and frequency caps, global control, quiet hours,
-- fairness, retention), one row per version: who changed it, in what role, and why. The latest
-- version is in force; with no row, the built-in defaults are. Versions are never changed or removed.
CREATE TABLE guardrail_policy_versions (
  version     integer PRIMARY KEY CHECK (version > 0),
  policy      jsonb NOT NULL,
  digest      text NOT NULL,
  changed_by  text NOT NULL CHECK (length(btrim(changed_by)) > 0),
  role        text NOT NULL,
  reason      text NOT NULL CHECK (length(btrim(reason)) > 0),
  changed_at  timestamptz NOT NULL
);
CREATE FUNCTION guardrail_policy_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'guardrail_policy_versions is append-only: % refused', TG_OP;
END $$;
CREATE TRIGGER guardrail_policy_no_update BEFORE UPDATE OR DELETE ON guardrail_policy_versions
  FOR EACH ROW EXECUTE FUNCTION guardrail_policy_refuse_change();
CREATE TRIGGER guardrail_policy_no_truncate BEFORE TRUNCATE ON guardrail_policy_versions
  FOR EACH STATEMENT EXECUTE FUNCTION guardrail_policy_refuse_change();
