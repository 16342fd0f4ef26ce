"""``OzonWidgetStates``: the widget states of one Ozon response, SSR HTML or composer JSON, by widget name.

- SSR HTML: ``<div id="state-<widget>-<id>-<container>-<n>" data-state='<escaped JSON>'>``;
- composer JSON (``/api/composer-api.bx/page/json/v2?url=<site path>``):
  ``{widgetStates: {"<widget>-<id>-<container>-<n>": "<JSON string>"}, layoutTrackingInfo: "<JSON string>",
  seo: {script: [{innerHTML: <JSON-LD>}]}}``.

JSON-LD is read by the shared reader (``values.json_ld``): a block that is not valid JSON is a ``LayoutError``.

The widget name is the key before the first ``-`` (``webPrice`` and ``webPriceDecreasedCompact`` differ).
"""

from __future__ import annotations

from typing import Any

from scrapy.http import Response

from marketplace_spiders.marketplaces.ozon.pages.common import loads
from marketplace_spiders.pages.errors import LayoutError, layout_guard
from marketplace_spiders.values import get, ld_first, ld_from_composer, ld_from_html


@layout_guard
class OzonWidgetStates:
    """The widget states of one Ozon response, SSR HTML or composer JSON, looked up by widget name."""

    def __init__(
        self,
        states: dict[str, Any],
        layout_tracking: dict[str, Any] | None = None,
        json_ld: list[dict[str, Any]] | None = None,
        page_title: str | None = None,
        canonical: str | None = None,
        is_composer: bool = False,
    ):
        self.states = states
        self.layout_tracking = layout_tracking or {}
        self.json_ld = json_ld or []
        self.page_title = page_title
        self.canonical = canonical
        self.is_composer = is_composer

    @classmethod
    def from_response(cls, response: Response) -> OzonWidgetStates:
        if response.body.lstrip()[:1] == b"{":
            return cls._from_composer(response)
        return cls._from_html(response)

    @classmethod
    def _from_composer(cls, response: Response) -> OzonWidgetStates:
        data = loads(response.body)
        if not isinstance(data, dict) or not isinstance(data.get("widgetStates"), dict):
            keys = sorted(data)[:10] if isinstance(data, dict) else type(data).__name__
            raise LayoutError(f"composer response without widgetStates; keys: {keys}")
        states = {key: loads(value) for key, value in data["widgetStates"].items()}
        tracking = loads(data.get("layoutTrackingInfo"))
        json_ld = ld_from_composer(data)
        canonical = next(
            (link.get("href") for link in get(data, "seo", "link") or []
             if isinstance(link, dict) and link.get("rel") == "canonical"),
            None,
        )
        return cls(states, tracking if isinstance(tracking, dict) else None, json_ld,
                   get(data, "seo", "title"), canonical, is_composer=True)

    @classmethod
    def _from_html(cls, response: Response) -> OzonWidgetStates:
        states: dict[str, Any] = {}
        for node in response.xpath('//div[starts-with(@id, "state-")][@data-state]'):
            states[node.attrib["id"][len("state-"):]] = loads(node.attrib["data-state"])
        json_ld = ld_from_html(response)
        title = response.xpath("//title/text()").get()
        canonical = response.xpath('//link[@rel="canonical"]/@href').get()
        return cls(states, None, json_ld, title.strip() if title else None, canonical)

    def __bool__(self) -> bool:
        return bool(self.states)

    def names(self) -> set[str]:
        return {key.split("-", 1)[0] for key in self.states}

    def all(self, name: str) -> list[dict[str, Any]]:
        """Parsed states of every widget called ``name`` (the key up to the first ``-``), in page order. A widget
        that is there but whose state is not a JSON object (a string, a list, ``null``) is a ``LayoutError``,
        never read as absent."""
        found = []
        for key, value in self.states.items():
            if key.split("-", 1)[0] != name:
                continue
            if not isinstance(value, dict):
                raise LayoutError(f"widget {key} has a state that is not a JSON object ({type(value).__name__})")
            found.append(value)
        return found

    def first(self, name: str) -> dict[str, Any] | None:
        found = self.all(name)
        return found[0] if found else None

    def ld_product(self) -> dict[str, Any]:
        return ld_first(self.json_ld, "Product")


def load_states(response: Response) -> OzonWidgetStates:
    """The widget states of a response; a response without any (a block page, a new layout) raises."""
    states = OzonWidgetStates.from_response(response)
    if not states:
        raise LayoutError(f"no Ozon widget states (page title {states.page_title!r}); block page or new layout")
    return states
