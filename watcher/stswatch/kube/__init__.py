"""The one client for the API server: connect as kubectl does, the request, paginated lists and
watches, and one table from an HTTP status to a failure (`api.failure_for`).

Below the recorder, the scenario driver, the live reader and the lab: it imports nothing of them.
"""
