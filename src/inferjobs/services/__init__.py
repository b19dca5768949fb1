"""Services: the operations of the jobs service, above storage and below the API and CLI."""
