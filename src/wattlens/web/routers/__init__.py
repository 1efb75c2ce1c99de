"""The dashboard's routes, one router per area: the JSON API under ``/api`` and the pages."""
