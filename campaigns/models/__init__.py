"""Models of the campaigns app arrive with its issue; the package exists so the app's
migrations and imports have a fixed home."""
