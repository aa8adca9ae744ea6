"""Tables of the orders module (SQLAlchemy Core; the DDL is in migrations/orders_0001.py).

`order_items.line_total`, `orders.wound_area_cm2`, `orders.queued_at` and
`orders.queue_action` are computed by the database.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY, BYTEA, JSONB, UUID

from app.tables import created_at, deactivated_at, id_column, tenant_column, timestamps

metadata = sa.MetaData()


def _ref(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UUID(as_uuid=True), nullable=nullable)


def _flag(name: str) -> sa.Column:
    return sa.Column(name, sa.Boolean, nullable=False, server_default=sa.text("false"))


def _when(name: str) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True))


def _texts(name: str) -> sa.Column:
    return sa.Column(name, ARRAY(sa.Text), nullable=False, server_default=sa.text("'{}'::text[]"))


sales_reps = sa.Table(
    "sales_reps",
    metadata,
    id_column(),
    tenant_column(),
    _ref("user_id"),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("email", sa.Text),
    sa.Column("phone", sa.Text),
    sa.Column("employee_id", sa.Text),
    sa.Column("territory", sa.Text),
    sa.Column("commission_rate", sa.Numeric(5, 2)),
    sa.Column("parent_share_percent", sa.Numeric(5, 2)),
    _ref("parent_rep_id"),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'active'::text")),
    *timestamps(),
    deactivated_at(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "user_id"),
)

order_numbers = sa.Table(
    "order_numbers",
    metadata,
    sa.Column("tenant_id", UUID(as_uuid=True), primary_key=True),
    sa.Column("last_number", sa.BigInteger, nullable=False),
)

orders = sa.Table(
    "orders",
    metadata,
    id_column(),
    tenant_column(),
    sa.Column("order_number", sa.Text, nullable=False),
    sa.Column("version", sa.Integer, nullable=False, server_default=sa.text("1")),
    sa.Column("status", sa.Text, nullable=False, server_default=sa.text("'draft'::text")),
    sa.Column("type", sa.Text, nullable=False, server_default=sa.text("'standard'::text")),
    sa.Column("request_type", sa.Text, nullable=False, server_default=sa.text("'new_request'::text")),
    _ref("organization_id", nullable=False),
    _ref("facility_id", nullable=False),
    _ref("provider_id"),
    _ref("patient_id"),
    _ref("sales_rep_id"),
    _ref("manufacturer_id"),
    sa.Column("service_date", sa.Date),
    sa.Column("requested_delivery_date", sa.Date),
    sa.Column("actual_delivery_date", sa.Date),
    sa.Column("shipping_speed", sa.Text),
    sa.Column("delivery_instructions", sa.Text),
    sa.Column("wound_length_cm", sa.Numeric(6, 2)),
    sa.Column("wound_width_cm", sa.Numeric(6, 2)),
    sa.Column("wound_depth_cm", sa.Numeric(6, 2)),
    sa.Column(
        "wound_area_cm2",
        sa.Numeric(10, 2),
        sa.Computed("round(wound_length_cm * wound_width_cm, 2)", persisted=True),
    ),
    sa.Column("previous_treatments", JSONB, nullable=False, server_default=sa.text("'[]'::jsonb")),
    sa.Column("treatment_duration_weeks", sa.Integer),
    sa.Column("place_of_service", sa.Text),
    _flag("snf_status"),
    sa.Column("snf_days", sa.Integer),
    _flag("hospice_status"),
    _flag("part_a_status"),
    _flag("global_period_status"),
    sa.Column("global_period_cpt", sa.Text),
    sa.Column("global_period_surgery_date", sa.Date),
    sa.Column("payer_name", sa.Text),
    sa.Column("payer_identifier", sa.Text),
    sa.Column("payer_phone", sa.Text),
    sa.Column("plan_type", sa.Text),
    sa.Column("network_status", sa.Text),
    sa.Column("subscriber_relationship", sa.Text),
    sa.Column("subscriber_name_enc", BYTEA),
    sa.Column("subscriber_dob_enc", BYTEA),
    sa.Column("provider_ptan", sa.Text),
    sa.Column("facility_ptan", sa.Text),
    sa.Column("mac_jurisdiction", sa.Text),
    sa.Column("notes", sa.Text),
    sa.Column("internal_notes", sa.Text),
    sa.Column("metadata", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("total_amount", sa.Numeric(12, 2), nullable=False, server_default=sa.text("0")),
    sa.Column("item_count", sa.Integer, nullable=False, server_default=sa.text("0")),
    sa.Column("expected_reimbursement", sa.Numeric(12, 2)),
    _texts("attention_reasons"),
    sa.Column("status_reason", sa.Text),
    _ref("created_by_user_id"),
    _when("submitted_at"),
    _when("checked_at"),
    _when("reviewed_at"),
    _ref("reviewed_by_user_id"),
    _when("manufacturer_submitted_at"),
    _when("confirmed_at"),
    _when("shipped_at"),
    _when("delivered_at"),
    _when("closed_at"),
    sa.Column(
        "queued_at",
        sa.DateTime(timezone=True),
        sa.Computed("coalesce(submitted_at, created_at)", persisted=True),
    ),
    sa.Column(
        "queue_action",
        sa.Text,
        sa.Computed(
            "CASE status WHEN 'pending_admin_review' THEN 'review' "
            "WHEN 'submitted_to_manufacturer' THEN 'track' ELSE 'view' END",
            persisted=True,
        ),
    ),
    *timestamps(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.UniqueConstraint("tenant_id", "order_number"),
    sa.Index("orders_created", "tenant_id", "created_at", "id"),
    sa.Index("orders_status", "tenant_id", "status", "queued_at"),
    sa.Index("orders_facility", "tenant_id", "facility_id", "created_at"),
    sa.Index("orders_patient", "tenant_id", "patient_id"),
    sa.Index("orders_provider", "tenant_id", "provider_id"),
    sa.Index("orders_sales_rep", "tenant_id", "sales_rep_id"),
    sa.Index("orders_service_date", "tenant_id", "service_date"),
)

order_items = sa.Table(
    "order_items",
    metadata,
    id_column(),
    tenant_column(),
    _ref("order_id", nullable=False),
    _ref("product_id", nullable=False),
    _ref("size_id"),
    sa.Column("quantity", sa.Integer, nullable=False),
    sa.Column("unit_price", sa.Numeric(12, 2)),
    sa.Column("line_total", sa.Numeric(14, 2), sa.Computed("quantity * unit_price", persisted=True)),
    sa.Column("product_name", sa.Text, nullable=False),
    sa.Column("billing_code", sa.Text),
    sa.Column("code_type", sa.Text),
    sa.Column("size_label", sa.Text),
    sa.Column("notes", sa.Text),
    sa.Column("specifications", JSONB, nullable=False, server_default=sa.text("'{}'::jsonb")),
    sa.Column("position", sa.Integer, nullable=False, server_default=sa.text("0")),
    _ref("level_id"),
    *timestamps(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.Index("order_items_order", "tenant_id", "order_id", "position"),
)

order_status_history = sa.Table(
    "order_status_history",
    metadata,
    id_column(),
    tenant_column(),
    _ref("order_id", nullable=False),
    sa.Column("from_status", sa.Text),
    sa.Column("to_status", sa.Text, nullable=False),
    sa.Column("reason", sa.Text),
    _ref("actor_user_id"),
    sa.Column(
        "created_at", sa.DateTime(timezone=True), nullable=False, server_default=sa.func.clock_timestamp()
    ),
    sa.Index("order_status_history_order", "tenant_id", "order_id", "created_at"),
)

shipments = sa.Table(
    "shipments",
    metadata,
    id_column(),
    tenant_column(),
    _ref("order_id", nullable=False),
    sa.Column("carrier", sa.Text, nullable=False),
    sa.Column("tracking_number", sa.Text),
    sa.Column("shipped_at", sa.DateTime(timezone=True), nullable=False),
    _when("delivered_at"),
    _texts("document_urls"),
    sa.Column("notes", sa.Text),
    _ref("created_by_user_id"),
    *timestamps(),
    sa.UniqueConstraint("tenant_id", "id"),
    sa.Index("shipments_order", "tenant_id", "order_id", "created_at"),
    sa.Index("shipments_tracking", "tenant_id", "tracking_number"),
)

order_checks = sa.Table(
    "order_checks",
    metadata,
    id_column(),
    tenant_column(),
    _ref("order_id", nullable=False),
    sa.Column("round", sa.Integer, nullable=False),
    sa.Column("check_key", sa.Text, nullable=False),
    sa.Column("outcome", sa.Text, nullable=False),
    _texts("reasons"),
    sa.Column("position", sa.Integer, nullable=False, server_default=sa.text("0")),
    created_at(),
    sa.UniqueConstraint("tenant_id", "order_id", "round", "check_key"),
)
