"""Grid-management and party-building API."""
