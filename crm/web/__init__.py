"""The CRM's back-office pages (issue 14; server-rendered Jinja2 + htmx), one module per
area: ticket work, dispatch, follow-ups, incidents, announcements, customers, knowledge
base, administration, reports. Writes go through ``crm.services``."""
