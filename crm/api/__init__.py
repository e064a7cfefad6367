"""The CRM REST API (aiohttp): ``crm_api(engine)`` builds a sub-application to mount under
``/api`` (``app.add_subapp("/api", crm_api(engine))``) or ``setup_crm_api(app, engine=...)``.
"""

from crm.api.app import crm_api, setup_crm_api

__all__ = ["crm_api", "setup_crm_api"]
