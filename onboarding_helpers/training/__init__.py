"""Training: the scenarios trainers start on practice accounts, and the practice account itself.

It drives the sandbox only through its public admin API (``onboarding_helpers.sandbox``) and the
runbook through its public step helpers; the sandbox knows nothing of it.
"""
