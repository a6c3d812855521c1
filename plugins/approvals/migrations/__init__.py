"""The approvals plugin's Alembic branch (label `approvals`), run by `cergas db upgrade` after
the core's migrations, with its progress in the table `alembic_version_approvals`
(app/plugin_schema.py)."""
