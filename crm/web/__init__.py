"""The back office's pages: server-rendered, through the CRM services (audit, roles)."""
