"""Errors page objects raise when a response does not have the layout they know."""


class LayoutError(ValueError):
    """A required field or structure is missing: the marketplace changed its layout, or this is not a
    product/search response at all (a block page, an error page)."""
