"""The Twilio resources the sandbox serves, one module each (like moto's per-service backends).

Each module holds a resource's JSON shape, its handlers and its ``ROUTES``; ``base`` is what they
share (the handler context, ``route``). ``routing.py`` lists the modules and dispatches. A new
resource is a new module here plus its name in ``routing.RESOURCES``.

- ``accounts``: 2010-04-01 Accounts (the caller's own account)
- ``keys``: 2010-04-01 Keys (API keys; secrets kept as hashes)
- ``iam_keys``: iam v1 Keys (Standard and Restricted API keys, restricted keys' policies)
- ``available_numbers``: 2010-04-01 AvailablePhoneNumbers (the sandbox's number stock)
- ``incoming_numbers``: 2010-04-01 IncomingPhoneNumbers (bought numbers)
- ``services``: messaging v1 Services
- ``alpha_senders``: messaging v1 Services/{MG}/AlphaSenders
- ``service_numbers``: messaging v1 Services/{MG}/PhoneNumbers (the sender pool)
- ``messages``: 2010-04-01 Messages (sending; destination rules in ``delivery``, prices in
  ``pricing``)

These modules import the rest of the sandbox by absolute name (``onboarding_helpers.sandbox.…``):
the house structure check reads any ``from ..`` under the sandbox as an import of the runbook.
"""
