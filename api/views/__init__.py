"""API endpoints: they check the request's shape and roles and delegate to the apps' services and selectors."""
