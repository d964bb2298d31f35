"""OpenAPI description of the API-key authentication (drf-spectacular extension)."""
from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKeyAuth"

    def get_security_definition(self, auto_schema):
        # Declared as HTTP bearer so Swagger UI's "Authorize" sends `Bearer <key>`, which the API accepts as
        # well as `Api-Key <key>`.
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "rk_<prefix>_<secret>",
            "description": "An API key created by an admin (Settings → API keys, or `manage.py create_api_key`), "
                           "sent as `Authorization: Api-Key <key>` or `Authorization: Bearer <key>`. The request "
                           "acts as the key's user, with that user's roles.",
        }
