"""The shared web toolkit: one layout, one i18n mechanism, one way to render a page.

A leaf package: it never imports ``cti.web`` (the composer), ``cti.engine`` or any feature
package, so every feature may import it and none imports another. Features use:

* :func:`cti.webkit.pages.render`, :func:`cti.webkit.pages.identity` and
  ``csrf_field()`` / ``csrf_token`` in templates (``{% extends "layout.html" %}``);
* :func:`cti.webkit.i18n.translate`, :func:`cti.webkit.i18n.N_`,
  :func:`cti.webkit.i18n.lang_of`: msgid = the English text, Chinese from the catalogs
  ``<package>/locale/zh_CN/LC_MESSAGES/*.po``;
* the ``localtime`` / ``localdate`` filters and the day helpers of
  :mod:`cti.webkit.timefmt`, in the site's time zone.
"""

from __future__ import annotations

from cti.webkit.i18n import N_, lang_of, translate
from cti.webkit.keys import IDENTITY
from cti.webkit.pages import csrf_for, identity, render

__all__ = ["IDENTITY", "N_", "csrf_for", "identity", "lang_of", "render", "translate"]
