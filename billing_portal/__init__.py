"""Confluent Billing Portal: chargeback/showback for Confluent Cloud."""

__version__ = "0.1.0"
