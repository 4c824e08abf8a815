"""Teacher scheduling: clock, policies, teacher worker."""
