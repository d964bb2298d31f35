"""Public pages reached from sent mail (no login): unsubscribe, preferences, open pixel, click redirect."""
app_name = "mail"
urlpatterns = []
