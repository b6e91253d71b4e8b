"""ASGI entry point: HTTP through Django, WebSockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from teletherapy.alerts.routing import websocket_urlpatterns as alert_urlpatterns  # noqa: E402
from teletherapy.lib.origins import SiteOriginValidator  # noqa: E402
from teletherapy.reminders.middleware import JoinScopeGuard  # noqa: E402
from teletherapy.video.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Exactly the site's origins (scheme and port too), not any origin on an allowed host.
        "websocket": SiteOriginValidator(
            # A join-link sign-in reaches only its own appointment's socket.
            AuthMiddlewareStack(
                JoinScopeGuard(URLRouter(websocket_urlpatterns + alert_urlpatterns))
            )
        ),
    }
)
