"""JupyterHub's configuration for a class: ``jupyterhub -f onboarding_helpers/training/hub/
jupyterhub_config.py``, as ``make hub`` (``python -m onboarding_helpers.training.hub serve``) runs
it. The class's settings come from ``ONBOARDING_HUB_*`` variables (``settings.py``); everything
it sets is in ``config.py``.
"""

from onboarding_helpers.training.hub.config import configure
from onboarding_helpers.training.hub.settings import ClassSettings

c = get_config()  # type: ignore[name-defined]  # noqa: F821 - JupyterHub provides it
configure(c, ClassSettings.from_environment())
