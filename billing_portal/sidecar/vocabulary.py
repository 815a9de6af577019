"""What clients call the dimensions of the facts and what each one is: the dimension types `/v1/dimensions` takes
(canonical names, their aliases, and the column each one lists), the other names `group_by` takes for a column, and
the description of each dimension's filter parameter (in the OpenAPI document) per view of the facts."""

from __future__ import annotations

# canonical dimension type → fact column; aliases below
DIMENSION_TYPES = {
    "orgs": "org_id", "environments": "env_id", "clusters": "cluster_id", "principals": "principal_id",
    "business_units": "business_unit", "teams": "team", "cost_centers": "cost_center", "products": "product",
    "line_types": "line_type", "resources": "resource_id", "owners": "owner", "business_products": "business_product",
    "confidence": "confidence", "allocation_methods": "allocation_method",
}
DIMENSION_ALIASES = {
    "org": "orgs", "organization": "orgs", "organizations": "orgs", "org_id": "orgs",
    "env": "environments", "envs": "environments", "environment": "environments", "env_id": "environments",
    "cluster": "clusters", "cluster_id": "clusters", "principal": "principals", "principal_id": "principals",
    "business_unit": "business_units", "bu": "business_units", "team": "teams", "cost_center": "cost_centers",
    "product": "products", "line_type": "line_types", "resource": "resources", "resource_id": "resources",
    "owner": "owners", "business_product": "business_products", "allocation_method": "allocation_methods",
}
# /v1/dimensions also lists the topics of the topic view (not a dimension of the cost facts)
TOPIC_DIMENSION_TYPES = {"topics": "topic", "topic": "topic"}
DIMENSION_TYPE_VALUES = sorted(set(DIMENSION_TYPES) | set(DIMENSION_ALIASES) | set(TOPIC_DIMENSION_TYPES))

# group_by of the principal view takes the fact columns and the names /v1/dimensions accepts (principal, principals,
# bu, teams, …) for them.
GROUP_BY_ALIASES = {name: column for name in sorted(set(DIMENSION_TYPES) | set(DIMENSION_ALIASES))
                    if (column := DIMENSION_TYPES[DIMENSION_ALIASES.get(name, name)]) != name}

# dimension → what it is (its filter parameter's description), in the principal view ...
DESCRIPTIONS = {
    "org_id": "Organization id", "env_id": "Environment id (env-…)", "cluster_id": "Kafka cluster id (lkc-…)",
    "resource_id": "Billed resource id (lkc-…, lcc-…, lksqlc-…, lfcp-…, lsrc-…)", "resource_type": "Resource type",
    "product": "Confluent product (KAFKA, CONNECT, …)", "line_type": "Bill line type (KAFKA_NUM_CKUS, …)",
    "principal_id": "Principal the cost is allocated to (sa-…, u-…, pool-…, UNALLOCATED)",
    "principal_type": "Principal type", "owner": "Resolved owner", "team": "Team", "business_unit": "Business unit",
    "business_product": "The owner's business product", "cost_center": "Cost center",
    "allocation_method": "Allocation method (usage_share, resource_owner, …)",
    "allocation_reason": "Allocation reason", "confidence": "Allocation confidence (high, medium, low)",
}
# ... and where the topic view's differ
TOPIC_DESCRIPTIONS = {
    **DESCRIPTIONS,
    "topic": "Topic name (UNALLOCATED: a cluster line without topic metrics)",
    "product": "Confluent product (KAFKA, CLUSTER_LINK, …)", "owner": "The topic's owner",
    "business_product": "Business (data) product", "allocation_method": "topic_usage_share, even_active_topics, …",
    "allocation_reason": "topic_received_bytes, no_topic_metrics, …",
}
