"""Tracking's models: sites, identified visitors, anonymous page views (touch events live in contacts)."""
from .site import TrackingSite
from .visitor import AnonymousPageView, VisitorIdentity

__all__ = ["AnonymousPageView", "TrackingSite", "VisitorIdentity"]
