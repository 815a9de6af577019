-- Who owns each schema of a day (split: schema_owners of Stream Governance lines, billing_portal/ownership/schemas.py):
-- the schema's catalog business metadata, tags and owner attributes; `payer` is the synthetic principal its share of
-- a governance line goes to (team:<team>, owner:<owner>, ...), NULL for an unowned schema.
CREATE TABLE schema_attribution (
    usage_date        date NOT NULL,
    sr_id             text NOT NULL,
    qualified_name    text NOT NULL,
    payer             text,
    owner             text,
    team              text,
    business_unit     text,
    business_product  text,
    cost_center       text,
    attribution_source text NOT NULL,
    PRIMARY KEY (usage_date, sr_id, qualified_name)
);
