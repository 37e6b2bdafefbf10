"""A class on one machine: JupyterHub gives each trainee their own notebook server, and one
sandbox serves the whole cohort.

- ``settings``: the class's folders, ports and names (``ONBOARDING_HUB_*`` variables, defaults).
- ``jupyterhub_config.py``: the file JupyterHub loads (``jupyterhub -f``); ``config`` fills it in.
- ``spawner``: each trainee's server runs as their own system user, in their own 0700 home, with
  the runbook's notebooks copied in at first login, their own env file and state folder, in
  sandbox mode against the class's sandbox; their practice account is made before it starts.
- ``trainees``: the hub's side (it runs as root and alone reads the trainer token): system users,
  practice accounts, and running a helper as a trainee; ``home``: that helper, the trainee's side.
- ``scenario``: the trainer starts a training scenario for one trainee.
- ``ports``: who listens on a port; the hub refuses to start when another user holds one of its.

``python -m onboarding_helpers.training.hub`` is the command line (``make hub`` serves the class);
``docs/TRAINERS.md`` ("A class on one machine") is the trainer's guide. Only ``spawner`` and
``config`` import JupyterHub.
"""
