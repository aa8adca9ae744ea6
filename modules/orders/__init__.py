"""Orders: the provider-to-manufacturer workflow (draft, submission and its checks, an
admin's review, the manufacturer, shipments, delivery), and the sales reps who acquire
orders.

The manifest (`MODULE`) and the module's public surface: other modules import only from
here. They register submission checks into `SUBMISSION_CHECKS` (see checks.py) without
this module importing them.
"""

from __future__ import annotations

from pathlib import Path

from modules.orders.checks import SUBMISSION_CHECKS, CheckResult, OrderUnderCheck
from modules.orders.events import EVENTS
from modules.orders.models import metadata
from schema.module import Module, SchemaParts

PERMISSIONS = {
    "orders.read": "Read orders, their items, history, shipments and checks, the review queue and sales reps",
    "orders.create": "Start, edit and submit draft orders",
    "orders.approve": "Approve or reject submitted orders (reserves or releases stock)",
    "orders.cancel": "Cancel an order before it ships",
    "orders.fulfil": "Forward approved orders to the manufacturer, confirm, record shipments and deliveries",
    "orders.manage": "Add, change and deactivate sales reps",
}

GRANTS = {
    "manager": set(PERMISSIONS),
    "provider": {"orders.read", "orders.create", "orders.cancel"},
    "facility_manager": {"orders.read", "orders.create", "orders.cancel"},
    "sales_rep": {"orders.read"},
    "viewer": {"orders.read"},
}


def _schema() -> SchemaParts:
    from modules.orders.schema.mutations import OrdersMutation
    from modules.orders.schema.query import OrdersQuery
    from modules.orders.schema.subscription import OrdersSubscription
    from modules.orders.types.order import Order, OrderCheck, OrderItem, OrderStatusChange, Shipment
    from modules.orders.types.sales_rep import SalesRep

    return SchemaParts(
        queries=[OrdersQuery],
        mutations=[OrdersMutation],
        subscriptions=[OrdersSubscription],
        nodes=[Order, OrderItem, OrderStatusChange, Shipment, OrderCheck, SalesRep],
    )


def _register_own_checks() -> None:
    from modules.orders.service import own_checks  # noqa: F401  (registers on import)


_register_own_checks()

MODULE = Module(
    name="orders",
    metadata=metadata,
    permissions=PERMISSIONS,
    grants=GRANTS,
    events=EVENTS,
    migrations=Path(__file__).parent / "migrations",
    schema=_schema,
)

__all__ = ["MODULE", "SUBMISSION_CHECKS", "CheckResult", "OrderUnderCheck"]
