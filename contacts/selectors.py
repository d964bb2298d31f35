"""Read-only queries on contacts."""
