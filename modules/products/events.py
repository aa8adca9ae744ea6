"""The domain events the products module emits (see app/events.py)."""

from __future__ import annotations

from app.events import EventType

MANUFACTURER_CREATED = EventType("manufacturer.created", "A manufacturer was added to the catalog")
MANUFACTURER_UPDATED = EventType("manufacturer.updated", "A manufacturer or its settings changed")
MANUFACTURER_DEACTIVATED = EventType("manufacturer.deactivated", "A manufacturer was taken off the catalog")
CATEGORY_CHANGED = EventType(
    "category.changed", "A category was created, renamed, moved or deactivated", {"parent_id": "id"}
)
PRODUCT_CREATED = EventType(
    "product.created", "A product was added", {"manufacturer_id": "id", "category_id": "id"}
)
PRODUCT_UPDATED = EventType("product.updated", "A product's details changed", {"is_active": "flag"})
PRODUCT_DEACTIVATED = EventType("product.deactivated", "A product was removed from the catalog")
_STOCK = {
    "product_id": "id",
    "location_id": "id",
    "kind": "code",
    "on_hand": "count",
    "allocated": "count",
    "available": "count",
}
STOCK_CHANGED = EventType("stock.changed", "A stock movement changed a level", _STOCK)
STOCK_LOW = EventType("stock.low", "A level's available quantity fell to or below its reorder point", _STOCK)

EVENTS = (
    MANUFACTURER_CREATED,
    MANUFACTURER_UPDATED,
    MANUFACTURER_DEACTIVATED,
    CATEGORY_CHANGED,
    PRODUCT_CREATED,
    PRODUCT_UPDATED,
    PRODUCT_DEACTIVATED,
    STOCK_CHANGED,
    STOCK_LOW,
)
