"""A form's secret fields and the buttons that use them, as one widget (``SecretRow``).

An ipywidgets ``Password`` keeps what is typed in its ``value``, which is widget state: synced on
every key and written into the ``.ipynb`` when JupyterLab saves widget state. Here the typed
values live in the page only: a press of a button (or Enter in a field) sends them to the kernel
in a custom message, the page clears the fields, and the kernel hands them to the button's
handler. Custom messages are never saved; no trait ever holds a typed value. (The hand-off card's
copy buttons carry a secret the same way, the other direction.)

The fields and buttons look like ipywidgets' own (their CSS classes): a 34em field with its label,
wide buttons with an icon, in JupyterLab and Voila alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import anywidget
import traitlets


@dataclass(frozen=True)
class SecretField:
    """A password field: ``name`` keys its value in a press, ``label`` is what the officer reads
    (and the field's accessible name)."""

    name: str
    label: str
    placeholder: str = ""
    shown: bool = True


@dataclass(frozen=True)
class ActionButton:
    """A button; ``style`` is ipywidgets' ``button_style`` (primary, danger or empty: the theme's
    "warning" orange fails WCAG AA contrast with its white text) and ``icon`` a Font Awesome
    name, as on ``widgets.Button``."""

    name: str
    label: str
    style: str = ""
    icon: str = ""
    shown: bool = True


Handler = Callable[[dict[str, str]], Any]

# The row's script (anywidget loads it in JupyterLab and Voila alike). It builds the fields and
# buttons once and updates them in place when a trait changes, so a relabelled button never
# wipes what is being typed. Keys typed in a field stop there: JupyterLab's notebook shortcuts
# ("a", "b", "d d"...) must not act on the notebook, as in ipywidgets' own text fields.
_SCRIPT = r"""
let made = 0;

function field() {
  const id = `runbook-secret-${++made}-${Math.random().toString(36).slice(2, 8)}`;
  const row = document.createElement("div");
  row.className = "jupyter-widgets widget-inline-hbox widget-text widget-password";
  row.style.width = "34em";
  const label = document.createElement("label");
  label.className = "widget-label";
  label.style.width = "initial";
  label.htmlFor = id;
  const input = document.createElement("input");
  Object.assign(input, { type: "password", id, className: "widget-input", spellcheck: false });
  input.autocomplete = "off";
  row.append(label, input);
  return { row, label, input };
}

function button() {
  const el = document.createElement("button");
  el.type = "button";
  el.style.width = "auto";
  return el;
}

function render({ model, el }) {
  const fields = new Map(model.get("fields").map((f) => [f.name, field()]));
  const buttons = new Map(model.get("buttons").map((b) => [b.name, button()]));
  const bar = document.createElement("div");
  bar.className = "jupyter-widgets widget-container widget-box widget-hbox";
  bar.append(...buttons.values());
  el.append(...[...fields.values()].map((f) => f.row), bar);

  function draw() {
    for (const spec of model.get("fields")) {
      const f = fields.get(spec.name);
      if (!f) continue;
      f.label.textContent = spec.label;
      f.input.placeholder = spec.placeholder;
      f.row.style.display = spec.shown ? "" : "none";
    }
    for (const spec of model.get("buttons")) {
      const b = buttons.get(spec.name);
      if (!b) continue;
      b.className = "jupyter-widgets jupyter-button widget-button"
        + (spec.style ? ` mod-${spec.style}` : "");
      b.title = spec.label;
      b.replaceChildren();
      if (spec.icon) {
        const icon = document.createElement("i");
        icon.className = `fa fa-${spec.icon}`;
        b.append(icon);
      }
      b.append(spec.label);
      b.style.display = spec.shown ? "" : "none";
      b.disabled = model.get("disabled");
    }
  }

  function press(name) {
    const spec = model.get("buttons").find((b) => b.name === name);
    if (!spec || !spec.shown || model.get("disabled")) return;
    const values = {};
    for (const spec of model.get("fields")) {
      const f = fields.get(spec.name);
      if (f && spec.shown) values[spec.name] = f.input.value;
    }
    // Cleared before the message leaves: the page keeps no copy either.
    for (const f of fields.values()) f.input.value = "";
    model.send({ press: name, values });
  }

  for (const [name, b] of buttons) b.addEventListener("click", () => press(name));
  for (const f of fields.values()) {
    for (const kind of ["keydown", "keypress", "keyup"]) {
      f.input.addEventListener(kind, (event) => event.stopPropagation());
    }
    f.input.addEventListener("keydown", (event) => {
      if (event.key === "Enter" && !event.isComposing) {
        event.preventDefault();
        press(model.get("enter"));
      }
    });
  }
  draw();
  const events = "change:fields change:buttons change:disabled";
  model.on(events, draw);
  return () => model.off(events, draw);
}

export default { render };
"""


class SecretRow(anywidget.AnyWidget):
    """Password fields and the buttons that use them. ``on_press(button, handler)``: a press
    calls ``handler(values)``, ``values`` mapping each shown field's name to what was typed
    (hidden fields: empty). Enter in a field presses ``enter`` (default: the first button).

    The synced traits describe the fields and buttons only; what is typed reaches the kernel in
    the press's message and nowhere else, so saved widget state never holds it."""

    _esm = _SCRIPT
    fields = traitlets.List(traitlets.Dict()).tag(sync=True)
    buttons = traitlets.List(traitlets.Dict()).tag(sync=True)
    enter = traitlets.Unicode("").tag(sync=True)
    disabled = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        fields: Sequence[SecretField],
        buttons: Sequence[ActionButton],
        enter: str = "",
    ) -> None:
        super().__init__(
            fields=[asdict(f) for f in fields],
            buttons=[asdict(b) for b in buttons],
            enter=enter or buttons[0].name,
        )
        self._handlers: dict[str, Handler] = {}
        self.on_msg(self._pressed)

    def on_press(self, button: str, handler: Handler) -> None:
        """Call ``handler(values)`` when ``button`` is pressed (one handler per button)."""
        self.button(button)  # a name that is not a button fails here, not at the first press
        self._handlers[button] = handler

    def field(self, name: str) -> dict[str, Any]:
        """The field ``name`` as the page draws it (label, placeholder, shown)."""
        return dict(_named(self.fields, name, "field"))

    def button(self, name: str) -> dict[str, Any]:
        """The button ``name`` as the page draws it (label, style, icon, shown)."""
        return dict(_named(self.buttons, name, "button"))

    def show_field(self, name: str, shown: bool) -> None:
        _named(self.fields, name, "field")
        self.fields = [{**f, "shown": shown} if f["name"] == name else f for f in self.fields]

    def change_button(self, name: str, **changes: Any) -> None:
        """Change how the button ``name`` looks: ``label``, ``style``, ``icon`` or ``shown``."""
        unknown = set(changes) - {"label", "style", "icon", "shown"}
        if unknown:
            raise TypeError(f"change_button: no such property {sorted(unknown)}")
        _named(self.buttons, name, "button")
        self.buttons = [{**b, **changes} if b["name"] == name else b for b in self.buttons]

    def _pressed(self, _: object, content: object, buffers: object = None) -> None:
        """The page's press message: ``{"press": button, "values": {field: typed}}``."""
        if not isinstance(content, dict) or "press" not in content:
            return
        name = content["press"]
        handler = self._handlers.get(name) if isinstance(name, str) else None
        if handler is None or self.disabled or not self.button(name)["shown"]:
            return  # pressed in a stale page, or while the row is busy: nothing happens
        handler(_typed(self.fields, content.get("values")))


def _named(items: list[dict[str, Any]], name: str, kind: str) -> Mapping[str, Any]:
    for item in items:
        if item["name"] == name:
            return item
    raise KeyError(f"this form has no {kind} named {name!r}")


def _typed(fields: list[dict[str, Any]], sent: object) -> dict[str, str]:
    """What was typed in each field the page shows; anything else in the message is dropped."""
    sent = sent if isinstance(sent, dict) else {}
    values: dict[str, str] = {}
    for f in fields:
        value = sent.get(f["name"], "") if f["shown"] else ""
        values[f["name"]] = value if isinstance(value, str) else ""
    return values
