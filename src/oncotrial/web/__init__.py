"""The Django project: models, services, views, API."""
