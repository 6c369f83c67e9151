"""GeoReport v2 answers in the format the URL asks for: ``….json`` or ``….xml``.

The XML follows the element names of http://wiki.open311.org/GeoReport_v2: a list
is a root element holding one element per item (``<services><service>``,
``<service_requests><request>``, ``<errors><error>``), an object's fields are child
elements in order, an empty value is an empty element (``<account_id/>``), and a
list inside an object is either a wrapper with one element per item
(``<attributes><attribute>``, ``<values><value>``, ``<endpoints><endpoint>``,
``<formats><format>``) or, for other names, the element repeated in place.
Built with :mod:`xml.etree.ElementTree`, which escapes the text.

>>> xml_bytes([{"service_code": "a/b", "metadata": False, "group": None}], "services", "service").decode()
"<?xml version='1.0' encoding='utf-8'?>\\n<services><service><service_code>a/b</service_code><metadata>false</metadata><group /></service></services>"
"""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

from flask import Response, request

#: A list under one of these names is a wrapper element holding items of the other name.
WRAPPED = {"attributes": "attribute", "values": "value", "endpoints": "endpoint", "formats": "format"}
#: Characters XML 1.0 cannot carry (controls other than tab, newline, carriage return;
#: lone surrogates; U+FFFE/U+FFFF): written as a visible \\uXXXX escape instead.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
XML_TYPE = "text/xml"


def wants_xml() -> bool:
    """Whether the request asked for XML: its path ends in ``.xml`` (GeoReport's
    format is the URL's extension)."""
    return request.path.endswith(".xml")


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", str(value))


def _fill(elem: ET.Element, value) -> None:
    if isinstance(value, dict):
        for name, item in value.items():
            _child(elem, str(name), item)
    elif value is not None:
        elem.text = _text(value)


def _child(parent: ET.Element, name: str, value) -> None:
    if isinstance(value, (list, tuple)):
        if name in WRAPPED:
            wrapper = ET.SubElement(parent, name)
            for item in value:
                _fill(ET.SubElement(wrapper, WRAPPED[name]), item)
        else:
            for item in value:
                _fill(ET.SubElement(parent, name), item)
        return
    _fill(ET.SubElement(parent, name), value)


def xml_bytes(body, root: str, item: str | None = None) -> bytes:
    """``body`` as an XML document: a list under ``root`` with one ``item`` element
    per entry, or an object whose fields are the children of ``root``."""
    top = ET.Element(root)
    if isinstance(body, list):
        for entry in body:
            _fill(ET.SubElement(top, item or "item"), entry)
    else:
        _fill(top, body)
    return ET.tostring(top, encoding="utf-8", xml_declaration=True)


def json_bytes(body) -> bytes:
    # backslashreplace: a lone surrogate echoed back stays a valid JSON escape
    return json.dumps(body, ensure_ascii=False).encode("utf-8", "backslashreplace")


def _response(data: bytes, mimetype: str, status: int, headers: dict | None) -> Response:
    resp = Response(data, status=status, mimetype=mimetype)
    resp.headers["Cache-Control"] = "no-store"
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    return _response(json_bytes(body), "application/json", status, headers)


def georeport_response(body, status: int = 200, headers: dict | None = None, *,
                       root: str = "service_requests", item: str = "request") -> Response:
    """``body`` as JSON, or as XML (``root``/``item``) when the URL ends in ``.xml``.
    A 4xx/5xx body is the GeoReport error list in either format."""
    if not wants_xml():
        return json_response(body, status, headers)
    if status >= 400 and isinstance(body, list) and all(isinstance(e, dict) and "code" in e for e in body):
        root, item = "errors", "error"
    return _response(xml_bytes(body, root, item), XML_TYPE, status, headers)


def georeport_error(status: int, description: str, headers: dict | None = None) -> Response:
    """The GeoReport error body ``[{"code": N, "description": "..."}]`` (XML:
    ``<errors><error><code>N</code><description>…</description></error></errors>``)."""
    return georeport_response([{"code": status, "description": description}], status, headers)
