-- Customer entry sets (store/audit-sets.ts): many per-customer entries of one kind in one audit row
-- of kind 'customer_entries', their customer ids in entry -> 'customers'. This index finds the sets
-- that hold a customer, as audit_log_customer_idx finds the rows of one customer.
CREATE INDEX audit_log_customer_sets_idx ON audit_log USING gin ((entry -> 'customers') jsonb_path_ops) WHERE kind = 'customer_entries';
