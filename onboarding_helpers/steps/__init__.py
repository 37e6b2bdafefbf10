"""One module per documented step. Each step function takes the Runbook and plain inputs,
does the work through the gateway, records the result, and returns it. No widgets, no printing."""
