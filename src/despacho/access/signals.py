"""Signals about access that apps above may act on."""

from __future__ import annotations

from django.dispatch import Signal

# Sent inside the transaction of the change when a person stops managing an account
# (deactivated, demoted to member, deleted), with ``account``, ``person`` and ``actor``.
# What they created with that authority and must not outlive it (the api app's keys)
# is ended by the receivers, in the same transaction.
management_lost = Signal()
