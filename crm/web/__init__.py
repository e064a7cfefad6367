"""Server-rendered pages of the CRM's back office (issue 14): ticket work, dispatch,
follow-ups, incidents, announcements. Writes go through ``crm.services``."""
