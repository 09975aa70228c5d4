"""What treasury tells the apps above it (accounting posts its bank pólizas from here).

``match_confirmed`` is sent, inside the confirming transaction, with ``match`` (a confirmed
``Match``, its movements and CFDIs linked) and ``actor``; ``match_undone`` when a confirmed
match is undone, with the same arguments. Treasury itself knows nobody who listens.
"""

from django.dispatch import Signal

match_confirmed = Signal()
match_undone = Signal()
