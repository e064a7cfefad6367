"""The CRM's back-office pages (server-rendered Jinja2 + htmx), one module per area."""
