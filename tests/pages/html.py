"""A small reader for the pages' HTML: forms, fields and JSON-LD, as a browser sees them."""

import json
from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Form:
    attrs: dict
    inputs: dict = field(default_factory=dict)
    selects: dict = field(default_factory=dict)

    @property
    def fields(self) -> set[str]:
        return set(self.inputs) | set(self.selects)


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self.json_ld: list = []
        self.title = ""
        self.meta: dict[str, str] = {}
        self.links: list[dict] = []
        self.ids: list[str] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._capture: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "form":
            self._form = Form(attrs=attrs)
            self.forms.append(self._form)
        elif tag in ("input", "textarea") and self._form is not None and "name" in attrs:
            self._form.inputs[attrs["name"]] = attrs
        elif tag == "select" and self._form is not None:
            self._select = attrs.get("name")
            self._form.selects[self._select] = None
        elif tag == "option" and self._select is not None and "selected" in attrs:
            self._form.selects[self._select] = attrs.get("value", "")
        elif tag == "script" and attrs.get("type") == "application/ld+json":
            self._capture, self._text = "json_ld", []
        elif tag == "title":
            self._capture, self._text = "title", []
        elif tag == "meta" and "name" in attrs:
            self.meta[attrs["name"]] = attrs.get("content", "")
        elif tag == "link":
            self.links.append(attrs)

    def handle_endtag(self, tag):
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag in ("script", "title") and self._capture:
            text = "".join(self._text)
            if self._capture == "json_ld":
                self.json_ld.append(json.loads(text))
            else:
                self.title = text.strip()
            self._capture = None

    def handle_data(self, data):
        if self._capture:
            self._text.append(data)


def read(response) -> _Reader:
    reader = _Reader()
    reader.feed(response.content.decode())
    return reader


def widget(response) -> Form:
    """The step 1 ZIP form: a GET form to /find/ with ``zip`` and ``treatment``."""
    forms = [
        form
        for form in read(response).forms
        if form.attrs.get("action") == "/find/" and form.attrs.get("method") == "get"
    ]
    assert len(forms) == 1, f"expected one ZIP widget, found {len(forms)}"
    assert {"zip", "treatment"} <= forms[0].fields
    return forms[0]


def post_form(response, name: str) -> Form:
    """The POST form on the page whose hidden ``form`` discriminator is ``name``."""
    for form in read(response).forms:
        if form.attrs.get("method") == "post" and form.inputs.get("form", {}).get("value") == name:
            return form
    raise AssertionError(f"no {name} form on the page")
