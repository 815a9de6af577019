"""REST API blueprints."""
