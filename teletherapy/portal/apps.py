from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "teletherapy.portal"
    label = "portal"

    def ready(self) -> None:
        from teletherapy.accounts.views import register_lockout_page
        from teletherapy.lib.redirects import PORTAL_PREFIX
        from teletherapy.portal.views import locked_out_page

        register_lockout_page(PORTAL_PREFIX, locked_out_page)
