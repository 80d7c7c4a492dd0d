"""How stale the controller's view may be: it decides on its informer cache, not on the API."""

# How long after a pod's change the controller may still act on an informer cache without it.
CACHE_LAG_NS = 5_000_000_000

# How long after the controller's call its Event may be recorded (Events are written after the
# call returns, and may arrive after the object's own change).
EVENT_LAG_NS = 1_000_000_000
# The longest a controller's API call may take to land after its sync decided it: an admission
# webhook may hold a request up to its timeoutSeconds, at most 30 s
# (admissionregistration.k8s.io/v1 ValidatingWebhookConfiguration).
SLOW_CALL_NS = 30_000_000_000
