-- The bill as collected is kept apart from the bill as published. `billing_costs_collected` and
-- `billing_quarantine_collected` are written by the billing_costs asset; the hourly_cost_facts asset copies the
-- collected day into `billing_costs` / `quarantine_rows` in the same transaction that swaps the day's facts in.
-- Readers (API, dashboards, FOCUS export, reconciliation) therefore always see a bill and the facts allocated from
-- it, even when a restated bill was collected by a run that failed before allocating it.
CREATE TABLE billing_costs_collected (LIKE billing_costs INCLUDING ALL);
CREATE TABLE billing_quarantine_collected (LIKE quarantine_rows INCLUDING ALL);

INSERT INTO billing_costs_collected SELECT * FROM billing_costs;
INSERT INTO billing_quarantine_collected SELECT * FROM quarantine_rows WHERE source = 'billing';
