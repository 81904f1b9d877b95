"""The audit trail: who did what to whom, recorded by every domain, read by the staff pages.

It knows actors by id and label only, so every domain (accounts included) can write to it.
"""
