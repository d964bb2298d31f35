"""Template library, sender profiles and sending settings pages."""
urlpatterns = []
