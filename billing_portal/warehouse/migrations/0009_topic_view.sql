-- The topic view (issue 13): every line billed on a Kafka cluster split over the cluster's topics, hour by hour,
-- beside the principal view.

-- Topic usage from the Metrics API (received/sent bytes are counters per hour, retained bytes the hour's average),
-- captured like principal usage: `usage_capture` now records a capture per metric set (principal | topic).
CREATE TABLE topic_usage_hourly (
    usage_date     date             NOT NULL,
    hour           timestamptz      NOT NULL,
    cluster_id     text             NOT NULL,
    topic          text             NOT NULL,
    received_bytes double precision NOT NULL DEFAULT 0,
    sent_bytes     double precision NOT NULL DEFAULT 0,
    retained_bytes double precision NOT NULL DEFAULT 0
);
CREATE INDEX topic_usage_hourly_day ON topic_usage_hourly (usage_date, cluster_id);

ALTER TABLE usage_capture ADD COLUMN metric_set text NOT NULL DEFAULT 'principal';
ALTER TABLE usage_capture DROP CONSTRAINT usage_capture_pkey;
ALTER TABLE usage_capture ADD PRIMARY KEY (usage_date, cluster_id, metric_set);

-- Who owns each topic of a day: the topic's catalog tags and business metadata, then the mapping file's topic rules,
-- then unknown (attribution_source says which).
CREATE TABLE topic_attribution (
    usage_date        date NOT NULL,
    cluster_id        text NOT NULL,
    topic             text NOT NULL,
    owner             text,
    team              text,
    business_unit     text,
    business_product  text,
    cost_center       text,
    attribution_source text NOT NULL,
    PRIMARY KEY (usage_date, cluster_id, topic)
);

-- Hourly topic facts: natively partitioned by day on `hour`, each day swapped in atomically (as hourly_cost_facts).
CREATE TABLE hourly_topic_facts (
    usage_date        date          NOT NULL,
    hour              timestamptz   NOT NULL,
    fact_no           integer       NOT NULL,
    line_no           integer       NOT NULL,
    org_id            text,
    env_id            text,
    cluster_id        text          NOT NULL,
    product           text          NOT NULL,
    line_type         text          NOT NULL,
    topic             text          NOT NULL,
    owner             text,
    team              text,
    business_unit     text,
    business_product  text,
    cost_center       text,
    amount_usd        numeric(20,8) NOT NULL,
    allocation_method text          NOT NULL,
    allocation_reason text          NOT NULL,
    confidence        text          NOT NULL
) PARTITION BY RANGE (hour);
CREATE INDEX IF NOT EXISTS hourly_topic_facts_fact_no ON hourly_topic_facts (fact_no);

-- Day rollup of the topic facts: what /v1/topics/summary and the topic dashboard read.
CREATE TABLE topic_cost_daily (
    usage_date        date          NOT NULL,
    org_id            text,
    env_id            text,
    cluster_id        text          NOT NULL,
    product           text          NOT NULL,
    line_type         text          NOT NULL,
    topic             text          NOT NULL,
    owner             text,
    team              text,
    business_unit     text,
    business_product  text,
    cost_center       text,
    allocation_method text          NOT NULL,
    allocation_reason text          NOT NULL,
    confidence        text          NOT NULL,
    amount_usd        numeric(20,8) NOT NULL,
    fact_rows         bigint        NOT NULL
);
CREATE INDEX topic_cost_daily_date ON topic_cost_daily (usage_date);
