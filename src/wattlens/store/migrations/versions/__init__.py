"""The revisions of the run store's schema, oldest first by ``down_revision``."""
