"""What every step's form shares: text fields, wide buttons, secret fields with the buttons that
use them (``secret_row.SecretRow``; ``TokenField`` for the Auth Token), ``run_into``, the
moving indicator shown while a message is on its way (``DeliveryWait``), and a panel whose
values have copy buttons (``CopyCard``).

Each step's own form lives in its package (``steps/<package>/form.py``); its button calls the
same step function the headless path calls and shows the result, or the error with its advice,
in an Output widget under the form."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import anywidget
import ipywidgets as widgets
import traitlets

from .display import Panel, error_panel
from .errors import RunbookError
from .runbook import Runbook
from .secret_row import SecretField

if TYPE_CHECKING:  # messages imports phone and the gateway: off the import path of every form
    from .messages import StatusUpdate

_LAYOUT = {"description_width": "initial"}


def text_field(description: str, value: str = "", placeholder: str = "") -> widgets.Text:
    return widgets.Text(
        value=value,
        description=description,
        placeholder=placeholder,
        style=_LAYOUT,
        layout=widgets.Layout(width="34em"),
    )


def run_into(
    output: widgets.Output,
    action: Callable[[], Any],
    on_success: Callable[[Any], Panel | widgets.Widget],
) -> Any:
    """Run a step from a button: clear the output, then show the result or the error."""
    # Reset the model itself: clear_output() is only a message to the browser, which can arrive
    # after the new result was drawn and wipe it.
    output.outputs = ()
    with output:
        try:
            result = action()
        except RunbookError as err:
            output.append_display_data(error_panel(err))
            return None
        output.append_display_data(on_success(result))
        return result


def wide_button(**kwargs: Any) -> widgets.Button:
    """A Button as wide as its label (the default width cuts longer labels off)."""
    kwargs.setdefault("layout", widgets.Layout(width="auto"))
    return widgets.Button(**kwargs)


class TokenField:
    """The Auth Token for a form's actions when the env file holds none (put away after 06).

    ``field`` goes into the form's ``SecretRow``, shown only while the env file has no Auth
    Token (``Runbook.needs_typed_token``). ``around(values, action)`` runs the action with what
    was typed, for that action only (``Runbook.with_typed_token``): it came in the press's
    message, never widget state, and is never saved.
    """

    NAME = "auth_token"

    def __init__(
        self,
        rb: Runbook,
        label: str = "Auth Token",
        placeholder: str = "only for this action; never saved",
    ) -> None:
        self._runbook = rb
        self.field = SecretField(self.NAME, label, placeholder, shown=rb.needs_typed_token())

    def around(self, values: Mapping[str, str], action: Callable[[], Any]) -> Callable[[], Any]:
        typed = values.get(self.NAME, "").strip()

        def run() -> Any:
            # Inside the action, so that a malformed token shows as the form's error.
            with self._runbook.with_typed_token(typed):
                return action()

        return run


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

# The waiting bar's script: a native <progress>, so assistive technology gets a progressbar with
# its value and maximum; what it waits for is its accessible name, the text beside it its
# aria-valuetext (the visible copy is hidden from screen readers, which would read it twice).
_WAIT_SCRIPT = r"""
function render({ model, el }) {
  const row = document.createElement("div");
  row.className = "runbook-wait";
  row.style.cssText = "display:flex;align-items:center;gap:8px;flex-wrap:wrap;margin:4px 0";
  const bar = document.createElement("progress");
  bar.style.width = "16em";
  bar.setAttribute("aria-label", "Waiting for delivery");
  const said = document.createElement("span");
  said.setAttribute("aria-hidden", "true");
  row.append(bar, said);
  el.append(row);
  function draw() {
    bar.max = model.get("max");
    bar.value = model.get("value");
    bar.setAttribute("aria-valuetext", model.get("text"));
    said.textContent = model.get("text");
  }
  draw();
  model.on("change", draw);
  return () => model.off("change", draw);
}

export default { render };
"""


class WaitBar(anywidget.AnyWidget):
    """A progress bar (``value`` of ``max``) with the ``text`` that says what it waits for."""

    _esm = _WAIT_SCRIPT
    value = traitlets.Float(0.0).tag(sync=True)
    max = traitlets.Float(1.0).tag(sync=True)
    text = traitlets.Unicode("").tag(sync=True)


class DeliveryWait:
    """A moving bar and the message's latest status while a form waits for its delivery
    (``bar``: a ``WaitBar``, which assistive technology reads as a progressbar).

    ``seen`` is the form's ``on_status``: the first status puts the indicator into ``output``,
    above the statuses, and starts a ticker that moves the bar four times a second; a final
    status, or ``stop`` when the action ends however it ends, takes it out again. Only one
    thread at a time writes to the indicator's widgets.
    """

    TICK = 0.25

    def __init__(self, output: widgets.Output, wait_seconds: float) -> None:
        self.output = output
        self.wait_seconds = float(wait_seconds)
        self.bar = WaitBar(max=max(self.wait_seconds, 1.0))
        self.widget = self.bar
        self._status = ""
        self._started = 0.0
        self._done = threading.Event()
        self._ticker: threading.Thread | None = None

    @property
    def running(self) -> bool:
        return self._ticker is not None

    def seen(self, update: StatusUpdate) -> None:
        """One status of the message: start at the first, stop at a final one."""
        from .messages import FINAL_STATES  # already loaded: a message is being followed

        self._status = update.status
        if update.status in FINAL_STATES:
            self.stop()
        elif self._ticker is None:
            self._started = time.monotonic() - update.elapsed
            self._done.clear()
            self._draw()
            self.output.append_display_data(self.widget)
            self._ticker = threading.Thread(target=self._tick, name="delivery-wait", daemon=True)
            self._ticker.start()

    def stop(self) -> None:
        """Stop the ticker and take the indicator out of the output (no-op when not shown)."""
        ticker, self._ticker = self._ticker, None
        if ticker is None:
            return
        self._done.set()
        ticker.join()
        shown = self.widget.model_id
        self.output.outputs = tuple(
            o
            for o in self.output.outputs
            if o.get("data", {}).get(WIDGET_VIEW, {}).get("model_id") != shown
        )

    def _tick(self) -> None:
        while not self._done.wait(self.TICK):
            self._draw()

    def _draw(self) -> None:
        elapsed = time.monotonic() - self._started
        # One message for the three traits: the page never shows a bar and text that disagree.
        with self.bar.hold_sync():
            self.bar.value = min(elapsed, self.bar.max)
            self.bar.text = (
                f"Waiting for delivery: {self._status or '…'} · {elapsed:.1f} s"
                f" (gives up after {self.wait_seconds:g} s)"
            )


# The copy buttons' script (anywidget loads it in JupyterLab and Voila alike). A plain value is
# in its button (data-copy-value). A secret is asked of the kernel by name (data-copy-secret)
# with a message to this widget; the answer goes to the clipboard and is dropped, never put into
# the page. The request is made inside the click, so browsers that copy only then accept it.
_COPY_SCRIPT = r"""
const ANSWER_MS = 10000;

function render({ model, el }) {
  el.innerHTML = model.get("panel_html");
  const waiting = new Map();
  let asked = 0;
  const onAnswer = (msg) => {
    const settle = msg && waiting.get(msg.request);
    if (settle) {
      waiting.delete(msg.request);
      settle(msg);
    }
  };
  model.on("msg:custom", onAnswer);

  function ask(name) {
    return new Promise((resolve, reject) => {
      const request = ++asked;
      const timer = setTimeout(() => {
        waiting.delete(request);
        reject(new Error("the notebook's kernel did not answer: run this step's cells again"));
      }, ANSWER_MS);
      waiting.set(request, (msg) => {
        clearTimeout(timer);
        if (msg.error) reject(new Error(msg.error));
        else resolve(msg.value);
      });
      model.send({ copy: name, request });
    });
  }

  function say(button, text) {
    const said = button.nextElementSibling;
    if (said) said.textContent = text;
  }

  async function copySecret(name) {
    if (window.ClipboardItem && navigator.clipboard.write) {
      const blob = ask(name).then((value) => new Blob([value], { type: "text/plain" }));
      await navigator.clipboard.write([new ClipboardItem({ "text/plain": blob })]);
    } else {
      await navigator.clipboard.writeText(await ask(name));
    }
  }

  async function copy(button) {
    const secret = button.dataset.copySecret;
    if (!window.isSecureContext || !navigator.clipboard) {
      if (secret) {
        say(button, "Not copied: browsers let a page copy only on https or localhost."
          + " Take it from the env file.");
      } else {
        const cell = button.closest("tr") && button.closest("tr").querySelector("td.runbook-value");
        if (cell) window.getSelection().selectAllChildren(cell);
        say(button, "Selected: press Ctrl+C (Cmd+C on a Mac) to copy it.");
      }
      return;
    }
    say(button, secret ? "Copying…" : "");
    // Says what it copied: the status is read out, and a row's button may be pressed unseen.
    const what = button.dataset.copyLabel;
    try {
      if (secret) await copySecret(secret);
      else await navigator.clipboard.writeText(button.dataset.copyValue);
      say(button, secret ? `Copied ${what} (not shown)` : `Copied ${what}`);
    } catch (err) {
      say(button, "Not copied: " + ((err && err.message) || err));
    }
  }

  for (const button of el.querySelectorAll("button.runbook-copy")) {
    button.addEventListener("click", () => copy(button));
  }
  return () => model.off("msg:custom", onAnswer);
}

export default { render };
"""

_BUTTON = (
    "font:inherit;font-size:90%;padding:0 8px;cursor:pointer;border:1px solid #9aa0a6;"
    "border-radius:3px;background:#f8f9fa;color:#202124"
)


def _copy_button(label: str, value: str | None) -> str:
    """A row's copy button: the value in the page, or (``None``) a secret asked for by name."""
    data = (
        f"data-copy-secret='{html.escape(label, quote=True)}'"
        if value is None
        else f"data-copy-value='{html.escape(value, quote=True)}'"
    )
    name = html.escape(label, quote=True)
    return (
        f"<button type='button' class='runbook-copy' data-copy-label='{name}' {data}"
        f" title='Copy {name}' aria-label='Copy {name}' style='{_BUTTON}'>Copy</button>"
        "<span class='runbook-copy-said' role='status'"
        " style='margin-left:6px;color:#5f6368;font-size:90%'></span>"
    )


class CopyCard(anywidget.AnyWidget):
    """Panels shown as one, the first with a copy button on the rows named in ``values`` (copied
    in the browser) and in ``secrets`` (fetched from the kernel when clicked).

    A secret is never widget state, an output or part of the page: its button sends the kernel a
    message, the kernel reads the secret at that moment (``secrets[label]()``) and answers with a
    message to this widget, which JupyterLab and Voila pass to the script and never save. Saved
    widget state holds the HTML (the secret masked) and the plain values only.
    """

    _esm = _COPY_SCRIPT
    panel_html = traitlets.Unicode("").tag(sync=True)

    def __init__(
        self,
        panels: list[Panel],
        values: Mapping[str, str],
        secrets: Mapping[str, Callable[[], str | None]],
        missing: str = "",
    ) -> None:
        first, *more = panels
        buttons = {label: _copy_button(label, value) for label, value in values.items()}
        buttons.update({label: _copy_button(label, None) for label in secrets})
        page = first.html(buttons, "Copy") + "".join(p.html() for p in more)
        self._text = "\n\n".join(str(p) for p in panels)
        self._secrets = dict(secrets)
        self._missing = missing
        super().__init__(panel_html=page)
        self.on_msg(self._answer)

    def __repr__(self) -> str:
        return self._text

    def _answer(self, _: object, content: object, buffers: object = None) -> None:
        """The page asks for a secret by name: answer with it, or with what to do."""
        if not isinstance(content, dict) or "copy" not in content:
            return
        name, request = str(content["copy"]), content.get("request")
        fetch = self._secrets.get(name)
        try:
            value = fetch() if fetch is not None else None
        except RunbookError as err:  # e.g. the env file cannot be read: its safe message
            self.send({"request": request, "error": f"{err.message} {err.advice}".strip()})
            return
        if value:
            self.send({"request": request, "value": value})
        else:
            self.send(
                {"request": request, "error": f"{name} is not in the env file. {self._missing}"}
            )
