-- /metrics at the cost of one slice (issue 15): a scrape reads the samples it exposes by an index range on `seq`
-- instead of filtering the whole exposure window (billing_portal/sidecar/ledger.py). The metrics_ledger asset
-- records each publication (one transaction: its samples share `published_at` and a range of `seq`) in
-- sidecar_metric_batches, so a scrape finds the window's samples from a few rows.
CREATE TABLE sidecar_metric_batches (
    published_at timestamptz PRIMARY KEY,
    first_seq    bigint      NOT NULL,
    last_seq     bigint      NOT NULL,
    samples      bigint      NOT NULL
);
CREATE INDEX IF NOT EXISTS sidecar_metric_ledger_seq ON sidecar_metric_ledger (seq);

-- The publications of the longest exposure window allowed (BILLING_PORTAL_METRICS_EXPOSURE_HOURS ≤ 720).
INSERT INTO sidecar_metric_batches (published_at, first_seq, last_seq, samples)
SELECT published_at, min(seq), max(seq), count(*) FROM sidecar_metric_ledger
WHERE published_at >= now() - interval '721 hours' GROUP BY published_at;
