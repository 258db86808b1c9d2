"""What the matcher tells the layers above it, without importing them.

``search_performed`` is sent once per valid step-1 search (the match API and the /find/
page) with ``treatment`` (a Treatment or None) and ``utm_source`` (str or None); the
marketing app counts it for the funnel.
"""

from django.dispatch import Signal

search_performed = Signal()
