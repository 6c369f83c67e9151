"""Which outside addresses a text names: the check behind "no output contains a URL to
another host" (issue 18). Written apart from the library's own rewriting, so it is
an independent oracle.

A URL is ``http://`` or ``https://`` and its host; allowed are the loopback hosts
(127.0.0.1, localhost, [::1], with any port) and exactly the W3C XML namespace names
(``http://www.w3.org/2000/svg`` …), which are identifiers, never fetched — not
anything else on www.w3.org.

>>> foreign_urls('a http://127.0.0.1:8050/x b https://localhost/ c "http://www.w3.org/2000/svg"')
[]
>>> foreign_urls('see https://leafletjs.com and http://www.w3.org/TR/html')
['https://leafletjs.com', 'http://www.w3.org/TR/html']
>>> foreign_urls('HTTPS://Example.org/x')
['HTTPS://Example.org/x']
"""
from __future__ import annotations

import re

NAMESPACES = {"http://www.w3.org/2000/svg", "http://www.w3.org/1999/xhtml", "http://www.w3.org/1999/xlink",
              "http://www.w3.org/XML/1998/namespace", "http://www.w3.org/2000/xmlns/"}
LOCAL_HOSTS = {"127.0.0.1", "localhost", "[::1]"}
URL = re.compile(r"https?://[^\s\"'<>)\\,;]*", re.IGNORECASE)


def foreign_urls(text: str) -> list[str]:
    out = []
    for m in URL.finditer(text):
        url = m.group(0)
        host = re.split(r"[/:?#]", url.split("://", 1)[1], maxsplit=1)[0].lower() if "[" not in url else \
            url.split("://", 1)[1].split("]")[0] + "]"
        if host in LOCAL_HOSTS or url.rstrip("/\\") in {n.rstrip("/") for n in NAMESPACES}:
            continue
        out.append(url)
    return out
