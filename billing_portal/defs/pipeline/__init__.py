"""The whole graph: the daily chargeback run and the restatement of the trailing window."""
