"""The firm's staff who use the dashboard: roles and what each may do, local accounts, sign-in."""
