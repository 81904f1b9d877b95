"""SVG uploads: parsed without DTDs or entities, then cut down to an allow-list of drawing markup.

Anything that could run code or fetch something when the file is shown (scripts, foreignObject,
event handlers, links and references outside the file, `javascript:` and external CSS urls,
stylesheets, animations that could rewrite links) is removed, not escaped.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET  # noqa: S405 (only to build and write the cleaned tree)

from defusedxml import DefusedXmlException
from defusedxml import ElementTree as SafeET

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"
XML_NS = "http://www.w3.org/XML/1998/namespace"
# Written back with SVG as the default namespace (no "ns0:" prefixes), xlink under its usual name.
ET.register_namespace("", SVG_NS)
ET.register_namespace("xlink", XLINK_NS)

_ELEMENT_NAMES = """svg g defs title desc symbol use path rect circle ellipse line polyline polygon text tspan
    textPath linearGradient radialGradient stop clipPath mask pattern marker filter feGaussianBlur
    feOffset feBlend feColorMatrix feFlood feComposite feMerge feMergeNode"""
_ATTRIBUTE_NAMES = """id class x y x1 y1 x2 y2 cx cy r rx ry fx fy width height d points viewBox
    preserveAspectRatio transform version fill fill-opacity fill-rule stroke stroke-width
    stroke-linecap stroke-linejoin stroke-dasharray stroke-dashoffset stroke-opacity
    stroke-miterlimit opacity style color display visibility font-family font-size font-weight
    font-style text-anchor dominant-baseline alignment-baseline letter-spacing word-spacing
    text-decoration dx dy rotate textLength lengthAdjust startOffset offset stop-color
    stop-opacity gradientUnits gradientTransform spreadMethod clip-path clip-rule clipPathUnits
    mask maskUnits maskContentUnits patternUnits patternContentUnits patternTransform markerWidth
    markerHeight refX refY orient markerUnits marker-start marker-mid marker-end filter
    filterUnits primitiveUnits stdDeviation in in2 result mode values type flood-color
    flood-opacity operator k1 k2 k3 k4 vector-effect shape-rendering text-rendering
    paint-order role aria-label aria-hidden lang"""
ELEMENTS = frozenset(_ELEMENT_NAMES.split())
ATTRIBUTES = frozenset(_ATTRIBUTE_NAMES.split())
HREFS = frozenset({"href", f"{{{XLINK_NS}}}href"})
LOCAL_URL = re.compile(r"url\(\s*['\"]?#[\w.:-]*['\"]?\s*\)", re.IGNORECASE)
# After local url(#id) references are taken out, any of these makes a value unsafe.
UNSAFE_VALUE = re.compile(r"url\(|\\|expression|@import|javascript:|behavior|-moz-binding", re.IGNORECASE)


class SvgRefused(ValueError):
    """The SVG cannot be read safely; the message says why, for the person."""


def looks_like_svg(data: bytes) -> bool:
    """Whether the text starts like XML whose first element is <svg> (nothing else is tried)."""
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"<") and b"<svg" in head


def sanitise(data: bytes) -> tuple[bytes, list[str]]:
    """Return the SVG reduced to the allow-list, and what was taken out (for the person to read)."""
    try:
        root = SafeET.fromstring(data, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise SvgRefused(
            "SVG files with a DOCTYPE or entities are not accepted. Export the SVG again without them "
            "(or delete the <!DOCTYPE …> line) and upload it again."
        ) from None
    except (ET.ParseError, LookupError, ValueError):
        # LookupError: an encoding Python does not know, named in the XML declaration.
        raise SvgRefused("This SVG is not well-formed XML, so it cannot be used. Export it again.") from None
    if root.tag != f"{{{SVG_NS}}}svg":
        raise SvgRefused("This is not an SVG image: its first element must be <svg> in the SVG namespace.")
    removed: list[str] = []
    try:
        _clean(root, removed)
        cleaned = ET.tostring(root, encoding="unicode")
    except RecursionError:
        # Cleaning and writing walk the tree recursively; no real drawing nests this deep.
        raise SvgRefused("This SVG nests its elements too deeply to be checked. Simplify it.") from None
    return cleaned.encode(), sorted(set(removed))


def _local(tag: str) -> str | None:
    """The element's name if it is in the SVG namespace, else None."""
    prefix = f"{{{SVG_NS}}}"
    return tag[len(prefix) :] if isinstance(tag, str) and tag.startswith(prefix) else None


def _clean(element: ET.Element, removed: list[str]) -> None:
    for child in list(element):
        name = _local(child.tag)
        if name not in ELEMENTS:
            element.remove(child)
            removed.append(f"<{name or _plain(child.tag)}>")
            continue
        _clean(child, removed)
    for key, value in list(element.attrib.items()):
        if not _attribute_allowed(key, value):
            del element.attrib[key]
            removed.append(f"the {_plain(key)} attribute")


def _attribute_allowed(key: str, value: str) -> bool:
    if key in HREFS:
        # Only references inside the file itself: "#shape".
        return value.strip().startswith("#")
    if key == f"{{{XML_NS}}}space":
        return True
    if key not in ATTRIBUTES:
        return False
    return not UNSAFE_VALUE.search(LOCAL_URL.sub("", value))


def _plain(name: str) -> str:
    return str(name).rsplit("}", 1)[-1]
